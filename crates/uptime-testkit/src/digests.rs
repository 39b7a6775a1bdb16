//! An in-memory digest sink: records every digest published, or refuses them all.

use std::sync::Mutex;
use uptime_core::{DigestSink, ErrorKind, PortError};
use uptime_model::digest::Digest;

/// Records digests; [`FakeDigests::refusing`] answers every publish with an error instead.
#[derive(Debug, Default)]
pub struct FakeDigests {
    published: Mutex<Vec<Digest>>,
    refuse: Option<PortError>,
}

impl FakeDigests {
    /// A sink whose every publish fails with `kind` and `message` (nothing is recorded).
    pub fn refusing(kind: ErrorKind, message: &str) -> Self {
        Self {
            published: Mutex::default(),
            refuse: Some(PortError::new(kind, None, message)),
        }
    }

    /// Every digest published so far, in order.
    pub fn published(&self) -> Vec<Digest> {
        self.published.lock().unwrap().clone()
    }
}

impl DigestSink for FakeDigests {
    async fn publish(&self, digest: &Digest) -> Result<(), PortError> {
        match &self.refuse {
            Some(e) => Err(e.clone()),
            None => {
                self.published.lock().unwrap().push(digest.clone());
                Ok(())
            }
        }
    }
}
