//! `LocalWorkbook`: the workbook as a directory of CSV files, one per
//! worksheet (`Inventory.csv`, `RestockList.csv`, …). The embedded default
//! and the demo target: no account, no network.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use frontdesk_inventory::{Sheet, SheetSink, SinkError, WriteReport};

use crate::csv;

/// A directory with one `{name}.csv` per worksheet (RFC 4180, UTF-8; see
/// the crate docs for the exact format).
///
/// Reading a worksheet whose file (or the whole directory) does not exist
/// gives an empty sheet. Writing creates the directory if it is missing and
/// replaces each file atomically: the rows go to a temporary file in the same
/// directory, which is flushed to disk and then renamed over the old file, so
/// a reader (or a crash) sees the old file or the new one, never half of
/// one. All temporary files are written before the first rename, so a write
/// that fails while writing leaves every old file as it was.
#[derive(Debug, Clone)]
pub struct LocalWorkbook {
    dir: PathBuf,
}

impl LocalWorkbook {
    /// Nothing is touched until the first read or write.
    pub fn new(dir: impl Into<PathBuf>) -> LocalWorkbook {
        LocalWorkbook { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl SheetSink for LocalWorkbook {
    #[tracing::instrument(skip(self), fields(dir = %self.dir.display()))]
    async fn read(&self, names: &[&str]) -> Result<Vec<Sheet>, SinkError> {
        let dir = self.dir.clone();
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        run_blocking(move || names.into_iter().map(|name| read_sheet(&dir, name)).collect()).await
    }

    #[tracing::instrument(skip(self, sheets), fields(dir = %self.dir.display(), sheets = sheets.len()))]
    async fn write(&self, sheets: &[Sheet]) -> Result<WriteReport, SinkError> {
        let dir = self.dir.clone();
        // Encoded here, so the blocking task gets the CSV text, not a copy
        // of every row.
        let files = encode_sheets(&dir, sheets)?;
        let rows_written = sheets.iter().map(|sheet| sheet.rows.len() as u64).sum();
        let report = run_blocking(move || write_files(&dir, files, rows_written)).await?;
        tracing::info!(files = report.write_requests, rows = report.rows_written, "wrote the local workbook");
        Ok(report)
    }
}

/// File IO off the async runtime's worker threads.
async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SinkError> + Send + 'static,
) -> Result<T, SinkError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| SinkError::Io(format!("the workbook task did not finish: {error}")))?
}

/// `{name}.csv` in `dir`, for names that are plain file names. A name that
/// could leave the directory, hide the file or collide with our temporary
/// files (which start with `.`) is refused.
fn sheet_path(dir: &Path, name: &str) -> Result<PathBuf, SinkError> {
    let refused = |why: &str| SinkError::Io(format!("the worksheet name {name:?} cannot be a file name: {why}"));
    if name.is_empty() {
        return Err(refused("it is empty"));
    }
    if name.starts_with('.') {
        return Err(refused("it starts with a dot"));
    }
    if name.contains(['/', '\\']) {
        return Err(refused("it contains a path separator"));
    }
    if name.chars().any(char::is_control) {
        return Err(refused("it contains a control character"));
    }
    Ok(dir.join(format!("{name}.csv")))
}

fn read_sheet(dir: &Path, name: String) -> Result<Sheet, SinkError> {
    let path = sheet_path(dir, &name)?;
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Sheet { name, rows: Vec::new() }),
        Err(error) => return Err(SinkError::Io(format!("could not read {}: {error}", path.display()))),
    };
    let text = String::from_utf8(bytes)
        .map_err(|error| SinkError::Io(format!("{} is not UTF-8 text: {error}", path.display())))?;
    let rows = csv::decode(&text).map_err(|error| SinkError::Io(format!("{} {error}", path.display())))?;
    Ok(Sheet { name, rows })
}

/// Each sheet's file and CSV text. Every name is checked before anything is
/// written.
fn encode_sheets(dir: &Path, sheets: &[Sheet]) -> Result<Vec<(PathBuf, String)>, SinkError> {
    let mut files: Vec<(PathBuf, String)> = Vec::with_capacity(sheets.len());
    for sheet in sheets {
        let target = sheet_path(dir, &sheet.name)?;
        if files.iter().any(|(existing, _)| *existing == target) {
            return Err(SinkError::Io(format!("the worksheet {:?} is written twice in one write", sheet.name)));
        }
        files.push((target, String::new()));
    }
    for ((_, text), sheet) in files.iter_mut().zip(sheets) {
        *text = csv::encode(&sheet.rows);
    }
    Ok(files)
}

/// Stages every file, then renames them all into place.
fn write_files(dir: &Path, files: Vec<(PathBuf, String)>, rows_written: u64) -> Result<WriteReport, SinkError> {
    fs::create_dir_all(dir).map_err(|error| {
        SinkError::Io(format!("could not create the workbook directory {}: {error}", dir.display()))
    })?;

    let mut staged: Vec<(PathBuf, &Path)> = Vec::with_capacity(files.len());
    for (target, text) in &files {
        match stage(dir, target, text) {
            Ok(temporary) => staged.push((temporary, target)),
            Err(error) => {
                remove_all(staged.iter().map(|(temporary, _)| temporary.as_path()));
                return Err(error);
            }
        }
    }
    for (index, (temporary, target)) in staged.iter().enumerate() {
        if let Err(error) = fs::rename(temporary, target) {
            remove_all(staged[index..].iter().map(|(temporary, _)| temporary.as_path()));
            return Err(SinkError::Io(format!("could not replace {}: {error}", target.display())));
        }
    }
    // Makes the renames themselves durable. The new files are already in
    // place, so a failure here is not a failed write.
    if let Err(error) = File::open(dir).and_then(|directory| directory.sync_all()) {
        tracing::warn!(dir = %dir.display(), %error, "could not flush the workbook directory to disk");
    }
    Ok(WriteReport { write_requests: u32::try_from(files.len()).unwrap_or(u32::MAX), rows_written })
}

/// Writes `contents` to a new temporary file next to `target` and flushes it
/// to disk; returns its path. The file keeps the permissions of the one it
/// will replace.
fn stage(dir: &Path, target: &Path, contents: &str) -> Result<PathBuf, SinkError> {
    let metadata = match fs::metadata(target) {
        Ok(metadata) if metadata.is_dir() => {
            return Err(SinkError::Io(format!("{} is a directory, not a worksheet file", target.display())));
        }
        Ok(metadata) => Some(metadata),
        Err(_) => None,
    };
    let file_name = target.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = dir.join(format!(".{file_name}.{}-{:016x}.tmp", std::process::id(), fastrand::u64(..)));
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&temporary)?;
        file.write_all(contents.as_bytes())?;
        if let Some(metadata) = &metadata {
            file.set_permissions(metadata.permissions())?;
        }
        file.sync_all()
    })();
    match written {
        Ok(()) => Ok(temporary),
        Err(error) => {
            remove_all([temporary.as_path()]);
            Err(SinkError::Io(format!("could not write a new {}: {error}", target.display())))
        }
    }
}

fn remove_all<'a>(paths: impl IntoIterator<Item = &'a Path>) {
    for path in paths {
        if let Err(error) = fs::remove_file(path)
            && error.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), %error, "could not remove a temporary workbook file");
        }
    }
}
