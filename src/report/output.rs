//! Stage 6, output: where the files of `--out` go, each written as it is produced.
//!
//! The writers of [`super`] hand every file to an [`OutputSink`], piece by piece: a table's
//! CSV text goes into its file block by block ([`super::tables::Table::write_csv`]) and the
//! workbook is saved straight into its file, so no file needs to be whole in memory (at ten
//! million ratings the CSV tables alone are about 300 MB). Two sinks:
//! * [`OutputDir`]: a directory written all or nothing (see [`super`]): the files go into a
//!   hidden staging directory beside the target, which [`OutputDir::commit`] swaps in whole;
//!   dropped without a commit (an error, a panic), it removes the staging directory and the
//!   target stays as it was.
//! * [`MemoryOutputs`]: the bytes of each file, for a library caller that wants them in
//!   memory ([`super::render`]), a test or a bench.
//!
//! [`write_dir`] puts files already in memory into a directory (`spider --out`), and
//! [`write_file`] writes one file whole (`simulate --out`, `--anonymize-key`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Name of the file that marks a directory as losstat's output.
pub const MARKER: &str = ".losstat";

/// Buffer of each file written to disk.
const FILE_BUFFER: usize = 1 << 16;

/// One output file in memory: its name inside the output directory and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// File name, e.g. `results.json` or `figures/fig1_score_shares.svg`.
    pub name: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

impl OutputFile {
    /// A file named `name` holding `bytes`.
    pub fn new(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            bytes,
        }
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Where the output files go: an [`OutputDir`] or [`MemoryOutputs`]. Files may be written
/// from several threads at once, each through its own [`OutputWriter`].
pub trait OutputSink: Sync {
    /// Opens the file `name` (a path inside the output, `/` between its parts).
    fn create(&self, name: &str) -> Result<OutputWriter>;

    /// Closes `file`, opened by [`create`](Self::create), once all of it is written.
    fn finish(&self, file: OutputWriter) -> Result<()>;

    /// Writes the file `name` whole.
    fn put(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let mut file = self.create(name)?;
        file.put(bytes)?;
        self.finish(file)
    }
}

/// One output file being written, to disk (through a buffer) or into memory. Write it with
/// [`put`](Self::put), whose errors name the file, or as a [`std::io::Write`].
#[derive(Debug)]
pub struct OutputWriter {
    /// The name inside the output.
    name: String,
    /// The file on disk, named in errors (the name alone in memory).
    path: PathBuf,
    to: Target,
}

#[derive(Debug)]
enum Target {
    File(BufWriter<File>),
    Memory(Vec<u8>),
}

impl OutputWriter {
    /// Appends `bytes`; a failure names the file.
    pub fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.write_all(bytes).map_err(|source| self.error(source))
    }

    /// A failure to write this file.
    fn error(&self, source: std::io::Error) -> Error {
        Error::Write {
            path: self.path.clone(),
            source,
        }
    }
}

impl Write for OutputWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match &mut self.to {
            Target::File(file) => file.write(bytes),
            Target::Memory(memory) => memory.write(bytes),
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match &mut self.to {
            Target::File(file) => file.write_all(bytes),
            Target::Memory(memory) => memory.write_all(bytes),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.to {
            Target::File(file) => file.flush(),
            Target::Memory(_) => Ok(()),
        }
    }
}

/// The output files in memory.
#[derive(Debug, Default)]
pub struct MemoryOutputs {
    files: Mutex<Vec<OutputFile>>,
}

impl MemoryOutputs {
    /// No files yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The files written, sorted by name.
    pub fn into_files(self) -> Vec<OutputFile> {
        let mut files = self
            .files
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        files.sort_by(|a, b| a.name.cmp(&b.name));
        files
    }
}

impl OutputSink for MemoryOutputs {
    fn create(&self, name: &str) -> Result<OutputWriter> {
        Ok(OutputWriter {
            name: name.to_string(),
            path: PathBuf::from(name),
            to: Target::Memory(Vec::new()),
        })
    }

    fn finish(&self, mut file: OutputWriter) -> Result<()> {
        file.flush().map_err(|source| file.error(source))?;
        if let Target::Memory(bytes) = file.to {
            self.files
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(OutputFile::new(file.name, bytes));
        }
        Ok(())
    }
}

/// An output directory being written all or nothing (see the module docs): made by
/// [`OutputDir::create`], filled through [`OutputSink`], swapped in by
/// [`OutputDir::commit`]. Dropped before the commit, it removes what it wrote.
#[derive(Debug)]
pub struct OutputDir {
    /// The directory the outputs are for.
    dir: PathBuf,
    /// The hidden directory they are written into, `.NAME.losstat-new-PID` beside `dir`.
    staging: PathBuf,
    /// Where the old outputs are put aside when they cannot be swapped atomically,
    /// `.NAME.losstat-old-PID`.
    retired: PathBuf,
    /// Files opened so far.
    files: AtomicUsize,
}

impl OutputDir {
    /// Checks that `dir` may be replaced and makes the staging directory beside it, with its
    /// [`MARKER`]. `inputs` are never touched: a `dir` that holds one is refused, as is a
    /// `dir` losstat did not make (unless it is empty, or with `force`) and a file.
    pub fn create(dir: &Path, inputs: &[PathBuf], force: bool) -> Result<Self> {
        check_target(dir, inputs, force)?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| refusal(dir, "is not a directory name"))?;
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            std::fs::create_dir_all(&parent).map_err(write_error(&parent))?;
        }
        remove_stale_staging(&parent, &name);
        let pid = std::process::id();
        let staging = parent.join(format!(".{name}.losstat-new-{pid}"));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(write_error(&staging))?;
        }
        std::fs::create_dir(&staging).map_err(write_error(&staging))?;
        let out = Self {
            dir: dir.to_path_buf(),
            retired: parent.join(format!(".{name}.losstat-old-{pid}")),
            staging,
            files: AtomicUsize::new(0),
        };
        let marker = out.staging.join(MARKER);
        std::fs::write(&marker, b"This directory was written by losstat.\n")
            .map_err(write_error(&marker))?;
        Ok(out)
    }

    /// How many files have been written (the marker aside).
    pub fn file_count(&self) -> usize {
        self.files.load(Ordering::Relaxed)
    }

    /// Puts the new outputs in place of the directory's old contents: in one atomic step
    /// where the system can (Linux), otherwise by moving the old outputs aside first and
    /// putting them back if the new ones cannot be moved in.
    pub fn commit(self) -> Result<()> {
        let result = self.swap_in();
        if result.is_err() && self.retired.exists() && !self.dir.exists() {
            // Best effort; dropping `self` then removes the staging copy.
            let _ = std::fs::rename(&self.retired, &self.dir);
        }
        result
    }

    fn swap_in(&self) -> Result<()> {
        let (dir, staging, retired) = (&self.dir, &self.staging, &self.retired);
        if dir.exists() {
            if swap(staging, dir).is_ok() {
                // One atomic step: `dir` now holds the new outputs, `staging` the old ones.
                return std::fs::remove_dir_all(staging).map_err(write_error(staging));
            }
            std::fs::rename(dir, retired).map_err(write_error(dir))?;
        }
        std::fs::rename(staging, dir).map_err(write_error(dir))?;
        if retired.exists() {
            std::fs::remove_dir_all(retired).map_err(write_error(retired))?;
        }
        Ok(())
    }
}

impl OutputSink for OutputDir {
    fn create(&self, name: &str) -> Result<OutputWriter> {
        let path = self.staging.join(name);
        if let Some(parent) = path.parent().filter(|p| !p.exists()) {
            std::fs::create_dir_all(parent).map_err(write_error(parent))?;
        }
        let file = File::create(&path).map_err(write_error(&path))?;
        self.files.fetch_add(1, Ordering::Relaxed);
        Ok(OutputWriter {
            name: name.to_string(),
            path,
            to: Target::File(BufWriter::with_capacity(FILE_BUFFER, file)),
        })
    }

    fn finish(&self, mut file: OutputWriter) -> Result<()> {
        file.flush().map_err(|source| file.error(source))
    }
}

impl Drop for OutputDir {
    /// Removes the staging directory: the unfinished outputs before a commit, or (after an
    /// atomic swap that could not remove them) the old ones. After a commit that moved the
    /// staging directory in place there is nothing left to remove.
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

/// Writes `files` into `dir` as a whole (see the module docs): [`OutputDir::create`], the
/// files side by side, [`OutputDir::commit`].
pub fn write_dir(dir: &Path, files: &[OutputFile], inputs: &[PathBuf], force: bool) -> Result<()> {
    let out = OutputDir::create(dir, inputs, force)?;
    files
        .par_iter()
        .try_for_each(|f| out.put(&f.name, &f.bytes))?;
    out.commit()
}

/// Writes one file whole (`simulate --out`, `--anonymize-key`): into a temporary sibling,
/// then renamed over `path`, so a failed run leaves the old file or the new one. An existing
/// file is replaced only with `force`.
pub fn write_file(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    write_file_with(path, force, |file| {
        file.write_all(bytes).map_err(write_error(path))
    })
}

/// [`write_file`] with the bytes written by `write` into the staging file, a piece at a time
/// (nothing is renamed, and the staging file is removed, when it fails).
pub fn write_file_with(
    path: &Path,
    force: bool,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let refuse = |reason: &str| refusal(path, reason);
    if path.exists() && !force {
        return Err(refuse("exists; give --force to overwrite it"));
    }
    let name = path
        .file_name()
        .ok_or_else(|| refuse("is not a file name"))?;
    let staging = path.with_file_name(format!(
        ".{}.losstat-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = File::create(&staging)
        .map_err(write_error(&staging))
        .and_then(|mut file| write(&mut file));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&staging);
        return Err(e);
    }
    std::fs::rename(&staging, path).map_err(|source| {
        let _ = std::fs::remove_file(&staging);
        Error::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Refuses `dir` as an output directory if it is a file, holds one of `inputs`, or is
/// neither losstat's, nor empty, nor to be replaced by `force`.
fn check_target(dir: &Path, inputs: &[PathBuf], force: bool) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(refusal(
            dir,
            "exists and is not a directory; --out needs a directory name",
        ));
    }
    let canonical_dir = dir.canonicalize().map_err(write_error(dir))?;
    if let Some(input) = inputs.iter().find(|p| {
        p.canonicalize()
            .is_ok_and(|p| p.starts_with(&canonical_dir))
    }) {
        return Err(refusal(
            dir,
            &format!(
                "holds the input {}; choose another --out directory",
                input.display()
            ),
        ));
    }
    let owned = dir.join(MARKER).is_file();
    let empty = std::fs::read_dir(dir)
        .map_err(write_error(dir))?
        .next()
        .is_none();
    if !owned && !empty && !force {
        return Err(refusal(
            dir,
            "exists and was not made by losstat; choose a new directory or give --force to replace it",
        ));
    }
    Ok(())
}

/// losstat will not write at `path`, for `reason`.
fn refusal(path: &Path, reason: &str) -> Error {
    Error::OutputRefused {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// A failure to write at `path`, for `map_err`.
fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + use<> {
    let path = path.to_path_buf();
    move |source| Error::Write { path, source }
}

/// Atomically exchanges two directories (Linux `renameat2` with `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn swap(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

/// No atomic exchange here: the caller falls back to two renames.
#[cfg(not(target_os = "linux"))]
fn swap(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Removes the staging folders (`.NAME.losstat-new-PID`, `.NAME.losstat-old-PID`) that a
/// killed run left beside `NAME`, when that process no longer exists.
fn remove_stale_staging(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name
            .to_str()
            .and_then(|f| f.strip_prefix(&format!(".{name}.losstat-")))
        else {
            continue;
        };
        let pid = rest
            .strip_prefix("new-")
            .or_else(|| rest.strip_prefix("old-"))
            .and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if pid.is_some() && !alive && cfg!(target_os = "linux") {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files under `dir`, relative, with their bytes.
    fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let name = path
                        .strip_prefix(dir)
                        .expect("inside")
                        .display()
                        .to_string();
                    out.push((name, std::fs::read(&path).expect("read")));
                }
            }
        }
        out.sort();
        out
    }

    /// The names beside the output directory that staging left behind.
    fn leftovers(parent: &Path) -> Vec<String> {
        std::fs::read_dir(parent)
            .expect("read dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".losstat-"))
            .collect()
    }

    fn old_outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let files = [
            OutputFile::new("old.csv", b"a,b\n".to_vec()),
            OutputFile::new("figures/old.svg", b"<svg/>".to_vec()),
        ];
        write_dir(dir, &files, &[], false).expect("first run");
        contents(dir)
    }

    #[test]
    fn a_commit_puts_the_new_files_in_place_of_the_old() {
        let parent = tempfile::tempdir().expect("tempdir");
        let dir = parent.path().join("out");
        let old = old_outputs(&dir);
        assert_eq!(old.len(), 3, "{old:?}");
        let out = OutputDir::create(&dir, &[], false).expect("create");
        let mut file = out.create("figures/new.png").expect("file");
        file.put(b"PNG").expect("put");
        file.put(b" bytes").expect("put");
        out.finish(file).expect("finish");
        out.put("new.csv", b"x\n").expect("put");
        assert_eq!(out.file_count(), 2);
        assert_eq!(contents(&dir), old, "untouched before the commit");
        out.commit().expect("commit");
        assert_eq!(
            contents(&dir),
            [
                (
                    MARKER.to_string(),
                    b"This directory was written by losstat.\n".to_vec()
                ),
                ("figures/new.png".to_string(), b"PNG bytes".to_vec()),
                ("new.csv".to_string(), b"x\n".to_vec()),
            ]
        );
        assert!(leftovers(parent.path()).is_empty());
    }

    #[test]
    fn outputs_dropped_before_the_commit_leave_the_old_ones() {
        let parent = tempfile::tempdir().expect("tempdir");
        let dir = parent.path().join("out");
        let old = old_outputs(&dir);
        let out = OutputDir::create(&dir, &[], false).expect("create");
        out.put("new.csv", b"x\n").expect("put");
        assert_eq!(leftovers(parent.path()).len(), 1);
        drop(out);
        assert_eq!(contents(&dir), old);
        assert!(leftovers(parent.path()).is_empty());
        // Nor is a new directory left when there was none.
        let fresh = parent.path().join("fresh");
        drop(OutputDir::create(&fresh, &[], false).expect("create"));
        assert!(!fresh.exists());
        assert!(leftovers(parent.path()).is_empty());
    }

    #[test]
    fn a_foreign_directory_is_refused_before_anything_is_written() {
        let parent = tempfile::tempdir().expect("tempdir");
        let dir = parent.path().join("mine");
        std::fs::create_dir(&dir).expect("dir");
        std::fs::write(dir.join("notes.txt"), "keep").expect("write");
        let err = OutputDir::create(&dir, &[], false).expect_err("refused");
        assert!(matches!(err, Error::OutputRefused { .. }), "{err}");
        assert!(leftovers(parent.path()).is_empty());
        let input = dir.join("notes.txt");
        let err = OutputDir::create(&dir, &[input], true).expect_err("holds an input");
        assert!(err.to_string().contains("holds the input"), "{err}");
    }

    #[test]
    fn memory_outputs_keep_every_file_by_name() {
        let memory = MemoryOutputs::new();
        memory.put("b.csv", b"2").expect("put");
        let mut file = memory.create("a/c.svg").expect("create");
        file.put(b"<").expect("put");
        file.put(b"svg/>").expect("put");
        memory.finish(file).expect("finish");
        assert_eq!(
            memory.into_files(),
            [
                OutputFile::new("a/c.svg", b"<svg/>".to_vec()),
                OutputFile::new("b.csv", b"2".to_vec()),
            ]
        );
    }
}
