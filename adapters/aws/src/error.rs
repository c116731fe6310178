//! AWS SDK errors as one log line.

use std::error::Error;

/// `error` and its causes on one line, `: `-separated, each by its `Display` only: the SDK's
/// own `DisplayErrorContext` ends with the error's `Debug` form (raw response, headers, body),
/// which is neither readable nor safe to log. A cause whose text repeats the one before it is
/// left out, and line breaks and other control characters become spaces, so that a service
/// message never spreads one log entry over several lines, in text or in JSON logs.
pub fn one_line(error: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        let text: String = e
            .to_string()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if !parts.last().is_some_and(|last| last.ends_with(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("ValidationException: first line\r\nsecond line\tand a tab")]
    struct Multiline;

    #[derive(Debug, thiserror::Error)]
    #[error("service error")]
    struct Outer(#[source] Multiline);

    #[test]
    fn causes_are_joined_and_control_characters_become_spaces() {
        assert_eq!(
            one_line(&Outer(Multiline)),
            "service error: ValidationException: first line  second line and a tab"
        );
    }
}
