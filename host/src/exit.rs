//! How a command ended badly, and with which exit code. Commands return it; `cli` reports it.

/// A command's failure.
#[derive(Debug)]
pub enum Exit {
    /// Bad configuration, found before anything was processed: exit code 2.
    Config(String),
    /// A failure while working: exit code 1.
    Failure(String),
}

impl Exit {
    /// The process exit code.
    pub fn code(&self) -> u8 {
        match self {
            Exit::Config(_) => 2,
            Exit::Failure(_) => 1,
        }
    }

    /// The one line printed for it.
    pub fn message(&self) -> &str {
        match self {
            Exit::Config(m) | Exit::Failure(m) => m,
        }
    }
}

impl From<crate::settings::ConfigError> for Exit {
    fn from(e: crate::settings::ConfigError) -> Self {
        Exit::Config(e.to_string())
    }
}

impl From<crate::startup::StartupError> for Exit {
    fn from(e: crate::startup::StartupError) -> Self {
        Exit::Config(e.to_string())
    }
}
