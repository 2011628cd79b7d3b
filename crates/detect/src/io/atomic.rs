//! File output that never destroys what a user had.
//!
//! A regular destination is written to a temporary file beside it and renamed
//! over it only once complete, so a crash, an error or Ctrl-C leaves the old
//! file as it was. The temporary file is created exclusively (`O_CREAT |
//! O_EXCL`, which also refuses a symlink planted at its name) under an
//! unpredictable name, so another user of a shared folder cannot redirect
//! the write. What the destination is decides the rest:
//! * missing: created (the folder must exist);
//! * a regular file: replaced, keeping its permissions; a read-only one is
//!   refused rather than replaced;
//! * a symlink to a regular file: the file it points to is replaced, the
//!   link stays;
//! * a FIFO, a character device or a symlink to one (`/dev/stdout`):
//!   written through directly, nothing renamed over it;
//! * a folder: refused.
//!
//! Temporary files still being written are listed in a process-wide registry
//! so that a signal handler can remove them ([`remove_unfinished`]).

use crate::error::{DetectError, Result};
use std::fs::{File, OpenOptions, Permissions};
use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Writes `bytes` to `path` through an [`AtomicFile`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes).map_err(|e| f.error(e))?;
    f.commit()
}

/// The folder a file path will be written into (`.` for a bare name).
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Where a write to a path goes, once every check that can be made before
/// writing has passed.
enum Target {
    /// A FIFO or a device (or a symlink to one): written directly.
    Through,
    /// A regular file (or none yet) at `dest` — a symlink resolved, so its
    /// target is replaced and the link stays — keeping `permissions`.
    Replace {
        dest: PathBuf,
        permissions: Option<Permissions>,
    },
}

/// Decides how `path` is written, refusing what can never be: a folder, a
/// read-only file, a destination whose folder is missing or unreachable.
fn target(path: &Path) -> Result<Target> {
    let fail = |kind: ErrorKind, msg: String| DetectError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(kind, msg),
    };
    let io_err = |source| DetectError::Io {
        path: path.to_path_buf(),
        source,
    };
    if path.file_name().is_none() {
        return Err(fail(ErrorKind::InvalidInput, "not a file path".into()));
    }
    let (dest, permissions) = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => return Err(fail(ErrorKind::InvalidInput, "is a folder".into())),
        Ok(m) if !m.is_file() => return Ok(Target::Through),
        Ok(m) if m.permissions().readonly() => {
            return Err(fail(
                ErrorKind::PermissionDenied,
                "is read-only; not replacing it".into(),
            ));
        }
        Ok(m) => (path.canonicalize().map_err(io_err)?, Some(m.permissions())),
        Err(e) if e.kind() == ErrorKind::NotFound => (path.to_path_buf(), None),
        Err(e) => return Err(io_err(e)),
    };
    let dir = folder_of(&dest);
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(Target::Replace { dest, permissions }),
        Ok(_) => Err(fail(
            ErrorKind::NotADirectory,
            format!("{} is not a folder", dir.display()),
        )),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(fail(
            ErrorKind::NotFound,
            format!("the folder {} does not exist", dir.display()),
        )),
        Err(e) => Err(io_err(e)),
    }
}

/// Fails when `path` could not be written by an [`AtomicFile`] — the checks
/// `AtomicFile::create` makes, without creating anything — so a command can
/// refuse a bad output before it does its work.
pub fn check_destination(path: &Path) -> Result<()> {
    target(path).map(drop)
}

/// Temporary files created and not yet committed or dropped.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes every temporary file still being written, for a signal handler
/// (Ctrl-C, SIGTERM) to call before the process exits.
pub fn remove_unfinished() {
    if let Ok(list) = UNFINISHED.lock() {
        for p in list.iter() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn forget(tmp: &Path) {
    if let Ok(mut list) = UNFINISHED.lock() {
        list.retain(|p| p != tmp);
    }
}

/// A file written in pieces (e.g. streamed scores) that appears at its path
/// only when [`AtomicFile::commit`] succeeds; dropped uncommitted, it leaves
/// no trace and any existing file untouched.
pub struct AtomicFile {
    /// The path the user named (for messages).
    path: PathBuf,
    mode: Mode,
    file: Option<BufWriter<File>>,
}

enum Mode {
    /// Write `tmp`, then rename it over `dest`, giving it `permissions`.
    Replace {
        tmp: PathBuf,
        dest: PathBuf,
        permissions: Option<Permissions>,
    },
    /// A FIFO or a device: written directly.
    Through,
}

impl AtomicFile {
    /// Starts writing `path` (see the module's list of what happens to
    /// each kind of destination).
    pub fn create(path: &Path) -> Result<Self> {
        let io_err = |source| DetectError::Io {
            path: path.to_path_buf(),
            source,
        };
        let (mode, file) = match target(path)? {
            Target::Through => {
                let file = OpenOptions::new().write(true).open(path).map_err(io_err)?;
                (Mode::Through, file)
            }
            Target::Replace { dest, permissions } => {
                let (tmp, file) = create_temp(folder_of(&dest)).map_err(io_err)?;
                let mode = Mode::Replace {
                    tmp,
                    dest,
                    permissions,
                };
                (mode, file)
            }
        };
        Ok(AtomicFile {
            path: path.to_path_buf(),
            mode,
            file: Some(BufWriter::new(file)),
        })
    }

    /// An I/O error while writing, as an error naming the destination.
    pub fn error(&self, source: std::io::Error) -> DetectError {
        DetectError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Flushes and, for a replaced file, syncs it, gives it the old file's
    /// permissions and renames it into place.
    pub fn commit(mut self) -> Result<()> {
        let file = self.file.take().expect("committed once");
        let result = (|| {
            let f = file.into_inner().map_err(|e| e.into_error())?;
            if let Mode::Replace {
                tmp,
                dest,
                permissions,
            } = &self.mode
            {
                if let Some(p) = permissions {
                    f.set_permissions(p.clone())?;
                }
                f.sync_all()?;
                std::fs::rename(tmp, dest)?;
                forget(tmp);
            }
            Ok(())
        })();
        result.map_err(|e| self.error(e))
    }
}

/// Creates `.aedetect-<random>.tmp` in `dir` exclusively, retrying on the
/// (unlikely) collision, and registers it as unfinished.
fn create_temp(dir: &Path) -> std::io::Result<(PathBuf, File)> {
    for _ in 0..16 {
        let tmp = dir.join(format!(".aedetect-{:016x}.tmp", rand::random::<u64>()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => {
                if let Ok(mut list) = UNFINISHED.lock() {
                    list.push(tmp.clone());
                }
                return Ok((tmp, f));
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        ErrorKind::AlreadyExists,
        "could not create a unique temporary file",
    ))
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.as_mut().expect("not committed").write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().expect("not committed").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Mode::Replace { tmp, .. } = &self.mode {
            // Committed or not, no temporary file may stay behind.
            let _ = std::fs::remove_file(tmp);
            forget(tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("aedetect-io-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn replaces_only_on_success() {
        let dir = scratch("replace");
        let p = dir.join("out.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let missing = dir.join("no/such/dir/out.txt");
        let err = write_atomic(&missing, b"x").unwrap_err().to_string();
        assert!(err.contains("no/such/dir"), "{err}");
        // An abandoned streamed write leaves the old file and no temp file.
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"three").unwrap();
        assert!(!UNFINISHED.lock().unwrap().is_empty());
        drop(f);
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Names of 250–255 bytes are written (the temporary name does not grow
    /// with the destination's).
    #[test]
    fn long_names_are_written() {
        let dir = scratch("long");
        let p = dir.join("x".repeat(255));
        write_atomic(&p, b"long").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"long");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn destinations_keep_their_mode_links_and_kind() {
        use std::os::unix::fs::{symlink, FileTypeExt, PermissionsExt};
        let dir = scratch("kinds");
        // A 0600 file stays 0600.
        let private = dir.join("private.csv");
        std::fs::write(&private, b"old").unwrap();
        std::fs::set_permissions(&private, Permissions::from_mode(0o600)).unwrap();
        write_atomic(&private, b"new").unwrap();
        let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A read-only file is refused and kept.
        let ro = dir.join("ro.csv");
        std::fs::write(&ro, b"keep").unwrap();
        std::fs::set_permissions(&ro, Permissions::from_mode(0o444)).unwrap();
        let e = write_atomic(&ro, b"x").unwrap_err().to_string();
        assert!(e.contains("read-only"), "{e}");
        assert_eq!(std::fs::read(&ro).unwrap(), b"keep");
        // A symlink to a file: the file is replaced, the link stays a link.
        let target = dir.join("target.csv");
        std::fs::write(&target, b"old").unwrap();
        let link = dir.join("link.csv");
        symlink(&target, &link).unwrap();
        write_atomic(&link, b"through the link").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"through the link");
        // A character device (through a symlink, like /dev/stdout) is written
        // through, not replaced by a regular file.
        let null = dir.join("null");
        symlink("/dev/null", &null).unwrap();
        write_atomic(&null, b"discarded").unwrap();
        assert!(std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
        assert!(std::fs::symlink_metadata(&null)
            .unwrap()
            .file_type()
            .is_symlink());
        // A folder is refused.
        assert!(write_atomic(&dir, b"x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A symlink planted where a temporary file might go cannot redirect the
    /// write: the name is unpredictable and creation is exclusive.
    #[cfg(unix)]
    #[test]
    fn temporary_files_are_exclusive_and_unpredictable() {
        let dir = scratch("tmp");
        let (a, _fa) = create_temp(&dir).unwrap();
        let (b, _fb) = create_temp(&dir).unwrap();
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_string_lossy().to_string();
        assert!(name.starts_with(".aedetect-") && name.len() == ".aedetect-".len() + 16 + 4);
        // Exclusive creation refuses an existing name, a symlink included.
        let victim = dir.join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let planted = dir.join("planted");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let e = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&planted);
        assert_eq!(e.unwrap_err().kind(), ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A FIFO at the destination is written through and stays a FIFO (it
    /// used to be replaced by a regular file).
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_through() {
        use std::io::Read;
        use std::os::unix::fs::FileTypeExt;
        let dir = scratch("fifo");
        let fifo = dir.join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                File::open(&fifo).unwrap().read_to_end(&mut got).unwrap();
                got
            })
        };
        write_atomic(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "a temporary file stayed"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
