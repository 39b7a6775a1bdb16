//! The one place where AWS errors are classified: first by transport kind, then by error code.

use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use uptime_core::{ErrorKind, PortError};

const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "PriorRequestNotComplete",
    "SlowDown",
    "EC2ThrottledException",
];
const ACCESS_DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthFailure",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "RegionDisabledException",
    "AWSOrganizationsNotInUseException",
    "OptInRequired",
];
const NOT_FOUND: &[&str] = &[
    "InvalidInstanceID.NotFound",
    "InvalidInstanceID.Malformed",
    "TargetNotFoundException",
    "ParentNotFoundException",
    "AccountNotFoundException",
    "NoSuchKey",
    "NoSuchBucket",
];
const INVALID_STATE: &[&str] = &["IncorrectInstanceState", "IncorrectState"];
const CAPACITY: &[&str] = &[
    "InsufficientInstanceCapacity",
    "InsufficientCapacity",
    "InsufficientHostCapacity",
    "InsufficientReservedInstanceCapacity",
];
const TRANSIENT: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "Unavailable",
    "ServiceException",
    "ConcurrentModificationException",
];
const HIBERNATION: &[&str] = &["UnsupportedHibernationConfiguration"];

/// Classifies an AWS error code (and HTTP status) into the core's error kinds.
pub fn kind_of_code(code: Option<&str>, status: Option<u16>) -> ErrorKind {
    let Some(code) = code else {
        return match status {
            Some(429) => ErrorKind::Throttled,
            Some(403) => ErrorKind::AccessDenied,
            Some(s) if s >= 500 => ErrorKind::Transient,
            _ => ErrorKind::Other,
        };
    };
    let is = |list: &[&str]| list.contains(&code);
    if is(THROTTLED) {
        ErrorKind::Throttled
    } else if is(ACCESS_DENIED) {
        ErrorKind::AccessDenied
    } else if is(NOT_FOUND) {
        ErrorKind::NotFound
    } else if is(INVALID_STATE) {
        ErrorKind::InvalidState
    } else if is(CAPACITY) {
        ErrorKind::InsufficientCapacity
    } else if is(HIBERNATION) {
        ErrorKind::HibernationRefused
    } else if code.starts_with("KMS") || code.contains("Kms") {
        ErrorKind::KmsAccess
    } else if code == "UnsupportedOperation" || code == "Unsupported" {
        ErrorKind::Unsupported
    } else if is(TRANSIENT) || status.is_some_and(|s| s >= 500) {
        ErrorKind::Transient
    } else if status == Some(429) {
        ErrorKind::Throttled
    } else {
        ErrorKind::Other
    }
}

/// Classifies any SDK error. The message keeps the SDK's full error chain for the log.
pub fn classify<E>(err: &SdkError<E>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    // The report gets the error chain as a sentence; the SDK's full context (its Debug form
    // holds the raw response, body included) goes to the debug log only.
    let message = match err {
        // AWS's own answer: its code and message say it all.
        SdkError::ServiceError(service) => match (service.err().code(), service.err().message()) {
            (Some(code), Some(text)) => format!("{code}: {text}"),
            (Some(code), None) => code.to_owned(),
            _ => format!(
                "HTTP {} without an error code the SDK could read; the answer began: {}",
                service.raw().status().as_u16(),
                excerpt(service.raw())
            ),
        },
        // An answer that does not parse as the protocol's: say what it began with (an
        // emulator's or a proxy's error page names its code there).
        SdkError::ResponseError(response) => format!(
            "HTTP {}: {}; the answer began: {}",
            response.raw().status().as_u16(),
            sentence(err),
            excerpt(response.raw())
        ),
        _ => sentence(err),
    };
    tracing::debug!(error = %DisplayErrorContext(err), "AWS call failed");
    let (kind, code) = match err {
        // No answer in time: the operation timeout (all attempts), or one attempt's connect or
        // read timeout after the SDK's own retries ran out.
        SdkError::TimeoutError(_) => (ErrorKind::TimedOut, None),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => (ErrorKind::TimedOut, None),
        SdkError::DispatchFailure(_) => (ErrorKind::Transient, None),
        // An answer the SDK could not parse: its HTTP status still says what happened (an
        // emulator's XML 403 for a JSON service, a proxy's 429).
        SdkError::ResponseError(response) => (
            match response.raw().status().as_u16() {
                403 => ErrorKind::AccessDenied,
                429 => ErrorKind::Throttled,
                _ => ErrorKind::Transient,
            },
            None,
        ),
        SdkError::ServiceError(service) => {
            let code = service.err().code().map(str::to_owned);
            let status = service.raw().status().as_u16();
            (kind_of_code(code.as_deref(), Some(status)), code)
        }
        _ => (ErrorKind::Other, None),
    };
    PortError {
        kind,
        code,
        message,
    }
}

/// The first 300 bytes of an answer's body on one line, control characters blanked.
fn excerpt(raw: &aws_sdk_ec2::config::http::HttpResponse) -> String {
    let body = raw.body().bytes().unwrap_or_default();
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    let blanked: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    blanked.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An error and its sources as one line of Displays (`service error: UnauthorizedOperation:
/// You are not authorized …`), each part once.
fn sentence(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !part.is_empty() && !line.contains(&part) {
            line.push_str(": ");
            line.push_str(&part);
        }
        source = s.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        let k = |c: &str| kind_of_code(Some(c), Some(400));
        assert_eq!(k("RequestLimitExceeded"), ErrorKind::Throttled);
        assert_eq!(k("TooManyRequestsException"), ErrorKind::Throttled);
        assert_eq!(k("UnauthorizedOperation"), ErrorKind::AccessDenied);
        assert_eq!(k("AccessDenied"), ErrorKind::AccessDenied);
        assert_eq!(k("IncorrectInstanceState"), ErrorKind::InvalidState);
        assert_eq!(
            k("InsufficientInstanceCapacity"),
            ErrorKind::InsufficientCapacity
        );
        assert_eq!(k("InvalidInstanceID.NotFound"), ErrorKind::NotFound);
        assert_eq!(
            k("UnsupportedHibernationConfiguration"),
            ErrorKind::HibernationRefused
        );
        assert_eq!(k("KMS.DisabledException"), ErrorKind::KmsAccess);
        assert_eq!(k("UnsupportedOperation"), ErrorKind::Unsupported);
        assert_eq!(k("SomethingNew"), ErrorKind::Other);
        assert_eq!(
            kind_of_code(Some("SomethingNew"), Some(503)),
            ErrorKind::Transient
        );
        assert_eq!(kind_of_code(None, Some(500)), ErrorKind::Transient);
        assert_eq!(kind_of_code(None, Some(429)), ErrorKind::Throttled);
    }
}
