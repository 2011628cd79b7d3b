//! `aedetect inspect`: what a saved model is and how it was made.

use crate::args::InspectArgs;
use crate::error::CliError;
use aedetect_detect::model_file::{self, FORMAT_VERSION};
use aedetect_detect::ScalerKind;

pub fn run(args: &InspectArgs) -> Result<(), CliError> {
    let det = model_file::load(&args.model)?;
    let config = det.model.config();
    let scaler = match det.scaler.kind {
        ScalerKind::Standard => "standard (mean / std of the training rows)",
        ScalerKind::MinMax => "min-max (training rows' range to [0, 1])",
        ScalerKind::Identity => "none",
    };
    if args.json {
        let out = serde_json::json!({
            "file": args.model.display().to_string(),
            "format_version": FORMAT_VERSION,
            "architecture": det.model.describe(),
            "model_config": serde_json::to_value(&config).expect("config serialises"),
            "inputs": det.model.inputs(),
            "parameters": det.model.num_params(),
            "features": det.features,
            "scaler": scaler,
            "score": det.model.score_kind(),
            "threshold": det.threshold,
            "series": det.series.as_ref().map(|s| serde_json::json!({
                "time_col": s.time_col,
                "columns": s.columns,
                "window": s.window,
                "calendar": s.calendar,
                "smooth": s.smooth,
                "cooldown": s.cooldown,
                "recent_rows": s.recent,
                "gap_micros": s.gap_micros,
            })),
            "training": det.info,
        });
        println!("{out}");
        return Ok(());
    }
    println!("model file   {}", args.model.display());
    println!("format       aedetect-model, version {FORMAT_VERSION}");
    println!("architecture {}", det.model.describe());
    println!(
        "inputs       {} features, {} parameters",
        det.model.inputs(),
        det.model.num_params()
    );
    if !det.features.is_empty() {
        println!("columns      {}", det.features.join(", "));
    }
    if let Some(s) = &det.series {
        println!(
            "series       time column `{}`, values {}; windows of {} rows{}; smoothed over {} windows; cooldown {} rows; {}; {}",
            s.time_col,
            s.columns.join(", "),
            s.window,
            if s.calendar { " with hour and weekday features" } else { "" },
            s.smooth,
            s.cooldown,
            if s.recent == 0 {
                "alarms not ranked among recent rows".to_string()
            } else {
                format!("an alarm tops the last {} rows' 98.5th percentile by 5 %", s.recent)
            },
            s.gap_micros.map_or("windows span every step".into(), |g| format!(
                "a step over {} is a gap no window spans",
                super::series::span_text(g)
            ))
        );
    }
    println!("scaler       {scaler}");
    println!("score        {}", det.model.score_kind());
    match det.threshold {
        Some(t) if det.series.is_some() => {
            println!("threshold    {t} (a row whose smoothed score is above it, and above the cooldown's rows before it, raises an alarm if it also tops the recent rows as above)");
            println!("level        smoothed / (smoothed + {t}): 0.5 at the threshold, in [0, 1)");
        }
        Some(t) => println!("threshold    {t} (rows scoring above it are flagged)"),
        None => println!("threshold    none set"),
    }
    if !det.info.is_empty() {
        println!("training");
        for (k, v) in &det.info {
            println!("  {k:<18} {v}");
        }
    }
    Ok(())
}
