//! Backups sealed with a passphrase, in the age format (age-encryption.org/v1, scrypt recipient):
//! the file opens with Cremmy's restore or with the `age -d` tool, and without the passphrase it
//! is noise. A sealed backup is the same consistent copy as a plain one, encrypted as it is
//! written; the plain copy lives only in a private temporary file beside it, removed whatever
//! happens.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;

use crate::backup::BackupError;
use crate::db;

/// How an age file begins.
const AGE_HEADER: &[u8] = b"age-encryption.org/v1";
/// Shorter passphrases are refused: scrypt slows guessing, it cannot make `1234` safe.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

/// Whether `file` is a sealed (age) backup.
pub fn is_sealed(file: &Path) -> bool {
    let mut start = [0u8; AGE_HEADER.len()];
    std::fs::File::open(file)
        .and_then(|mut f| f.read_exact(&mut start))
        .is_ok()
        && start == AGE_HEADER
}

pub fn check_passphrase(passphrase: &str) -> Result<(), BackupError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(BackupError::WeakPassphrase {
            min: MIN_PASSPHRASE_CHARS,
        });
    }
    Ok(())
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A private temporary file in `dir`, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(dir: &Path, purpose: &str) -> Scratch {
        let mut random = [0u8; 8];
        let _ = getrandom::fill(&mut random);
        let tag: String = random.iter().map(|b| format!("{b:02x}")).collect();
        Scratch(dir.join(format!(".{purpose}-{tag}.sqlite3")))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Encrypts `plain` into `sealed` (which must not exist), readable by its owner only. Blocking
/// (scrypt takes about a second by design): run it off the async threads.
pub fn seal(plain: &Path, sealed: &Path, passphrase: &str) -> Result<(), BackupError> {
    check_passphrase(passphrase)?;
    if sealed.exists() {
        return Err(BackupError::Exists {
            path: sealed.to_path_buf(),
        });
    }
    db::private::create(sealed).map_err(io(sealed))?;
    let written = (|| {
        let encryptor =
            age::Encryptor::with_user_passphrase(SecretString::from(passphrase.to_owned()));
        let out = std::fs::OpenOptions::new().write(true).open(sealed)?;
        let mut writer = encryptor.wrap_output(BufWriter::new(out))?;
        std::io::copy(
            &mut BufReader::new(std::fs::File::open(plain)?),
            &mut writer,
        )?;
        writer.finish()?.flush()?;
        Ok(())
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(sealed);
        return Err(BackupError::Io {
            path: sealed.to_path_buf(),
            source,
        });
    }
    Ok(())
}

/// Decrypts the sealed backup `sealed` into `plain` (a private file). Blocking, like [`seal`].
pub fn open(sealed: &Path, plain: &Path, passphrase: &str) -> Result<(), BackupError> {
    let not = |reason: String| BackupError::NotABackup {
        path: sealed.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(sealed).map_err(io(sealed))?;
    let decryptor = age::Decryptor::new(BufReader::new(file))
        .map_err(|e| not(format!("its age header does not read: {e}")))?;
    if !decryptor.is_scrypt() {
        return Err(not("it is sealed for a key, not with a passphrase".into()));
    }
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed
            | age::DecryptError::KeyDecryptionFailed
            | age::DecryptError::NoMatchingKeys => BackupError::WrongPassphrase {
                path: sealed.to_path_buf(),
            },
            other => not(format!("it does not decrypt: {other}")),
        })?;
    db::private::create(plain).map_err(io(plain))?;
    let mut out = BufWriter::new(
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(plain)
            .map_err(io(plain))?,
    );
    // A damaged or cut file fails here (each chunk is authenticated).
    std::io::copy(&mut reader, &mut out)
        .map_err(|e| not(format!("its contents do not decrypt: {e}")))?;
    out.flush().map_err(io(plain))?;
    Ok(())
}
