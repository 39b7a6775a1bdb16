//! An in-memory object store standing in for S3 (the account Map's ResultWriter output).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use uptime_core::{ErrorKind, PortError, ResultStore};

/// Objects by (bucket, key); counts reads.
#[derive(Debug, Default)]
pub struct FakeObjects {
    objects: Mutex<BTreeMap<(String, String), Vec<u8>>>,
    reads: AtomicUsize,
    /// Every write fails with this kind (see [`FakeObjects::refuse_writes`]).
    refused: Mutex<Option<ErrorKind>>,
}

impl FakeObjects {
    /// Stores `value` as JSON text.
    pub fn put(&self, bucket: &str, key: &str, value: serde_json::Value) {
        self.objects.lock().unwrap().insert(
            (bucket.to_owned(), key.to_owned()),
            value.to_string().into_bytes(),
        );
    }

    /// The object at `bucket`/`key` as JSON, if there is one.
    pub fn get(&self, bucket: &str, key: &str) -> Option<serde_json::Value> {
        let objects = self.objects.lock().unwrap();
        let bytes = objects.get(&(bucket.to_owned(), key.to_owned()))?;
        Some(serde_json::from_slice(bytes).expect("a stored object is JSON"))
    }

    /// Makes every later write fail with `kind`, as S3 would refuse or throttle it.
    pub fn refuse_writes(&self, kind: ErrorKind) {
        *self.refused.lock().unwrap() = Some(kind);
    }

    /// How many reads were answered (found or not).
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

impl ResultStore for FakeObjects {
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, PortError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.objects
            .lock()
            .unwrap()
            .get(&(bucket.to_owned(), key.to_owned()))
            .cloned()
            .ok_or_else(|| {
                PortError::new(
                    ErrorKind::NotFound,
                    Some("NoSuchKey"),
                    format!("s3://{bucket}/{key} does not exist"),
                )
            })
    }

    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), PortError> {
        if let Some(kind) = *self.refused.lock().unwrap() {
            return Err(PortError::new(
                kind,
                Some("SlowDown"),
                format!("s3://{bucket}/{key}: the write was refused"),
            ));
        }
        self.objects
            .lock()
            .unwrap()
            .insert((bucket.to_owned(), key.to_owned()), body);
        Ok(())
    }
}
