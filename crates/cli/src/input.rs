//! Reading the user's data file into a table, with the column options applied.

use crate::args::DataArgs;
use crate::error::CliError;
use aedetect_detect::io::CsvSpec;
use aedetect_detect::io::{read_table, Table};

/// The CSV column roles from the command line.
pub fn spec(args: &DataArgs) -> CsvSpec {
    CsvSpec {
        header: !args.no_header,
        label_col: args.label_col.clone(),
        id_col: args.id_col.clone(),
        features: None,
        keep_missing: args.impute.is_some(),
    }
}

/// Reads the whole file. Labels come from `--label-col` (CSV) or `y` (.npz).
pub fn read(args: &DataArgs) -> Result<Table, CliError> {
    if args.data.as_os_str() == "-" {
        return Err(CliError::usage(
            "training and evaluation read a file, not standard input (pass --data FILE)",
        ));
    }
    Ok(read_table(&args.data, &spec(args))?)
}
