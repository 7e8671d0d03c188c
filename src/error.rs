//! The crate's error type. Every failure carries a kind (which becomes a C status code) and a
//! message that says exactly what was wrong, because "bad model" alone helps nobody debug an app.

use std::fmt;

/// What went wrong, coarse enough to branch on. The C ABI maps each kind to one `mnmt_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A caller passed a NULL pointer, an out-of-range value or an inconsistent option.
    InvalidArgument,
    /// The model file could not be opened, read or mapped.
    Io,
    /// The model file is not a valid mobilenmt GGUF file (corrupt, truncated, inconsistent).
    BadModel,
    /// The model file is valid GGUF but uses something this build does not implement.
    UnsupportedModel,
    /// Input text is not valid UTF-8.
    InvalidUtf8,
    /// Input is longer than the translator's limits allow.
    InputTooLong,
    /// The caller's output buffer is too small; the needed size was reported.
    BufferTooSmall,
    /// An allocation failed.
    OutOfMemory,
    /// A bug: a caught panic or a broken internal invariant.
    Internal,
}

/// An error with its kind and a human-readable, specific message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// Builds an error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// Shorthand for [`ErrorKind::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// Shorthand for [`ErrorKind::BadModel`].
    pub fn bad_model(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadModel, message)
    }

    /// Shorthand for [`ErrorKind::UnsupportedModel`].
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::UnsupportedModel, message)
    }

    /// Shorthand for [`ErrorKind::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The detailed message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefixes the message with context ("loading foo.gguf: ...").
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        let kind = if e.kind() == std::io::ErrorKind::OutOfMemory {
            ErrorKind::OutOfMemory
        } else {
            ErrorKind::Io
        };
        Error::new(kind, e.to_string())
    }
}

impl From<std::str::Utf8Error> for Error {
    fn from(e: std::str::Utf8Error) -> Self {
        Error::new(
            ErrorKind::InvalidUtf8,
            format!(
                "input is not valid UTF-8 (first bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
