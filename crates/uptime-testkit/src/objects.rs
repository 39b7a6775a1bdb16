//! An in-memory object store standing in for S3 (the account Map's ResultWriter output).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use uptime_core::{ErrorKind, PortError, Precondition, ResultStore, Versioned};

/// Objects by (bucket, key); counts reads.
#[derive(Debug, Default)]
pub struct FakeObjects {
    objects: Mutex<BTreeMap<(String, String), Vec<u8>>>,
    reads: AtomicUsize,
    /// Every write fails with this kind (see [`FakeObjects::refuse_writes`]).
    refused: Mutex<Option<ErrorKind>>,
    /// A missing object is AccessDenied, not NotFound (see [`FakeObjects::deny_missing`]).
    deny_missing: std::sync::atomic::AtomicBool,
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

    /// The version (ETag) of the object: the hash of its body, as S3's is for a single-part
    /// upload.
    fn etag(body: &[u8]) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut h);
        format!("\"{:016x}\"", h.finish())
    }

    /// Answers a read of a missing object AccessDenied, as S3 does to a caller without
    /// `s3:ListBucket` on the bucket (the hub role has none).
    pub fn deny_missing(&self) {
        self.deny_missing.store(true, Ordering::SeqCst);
    }

    fn missing(&self, bucket: &str, key: &str) -> PortError {
        if self.deny_missing.load(Ordering::SeqCst) {
            PortError::new(
                ErrorKind::AccessDenied,
                Some("AccessDenied"),
                "Access Denied",
            )
        } else {
            PortError::new(
                ErrorKind::NotFound,
                Some("NoSuchKey"),
                format!("s3://{bucket}/{key} does not exist"),
            )
        }
    }

    /// The refusal set by [`FakeObjects::refuse_writes`], if any.
    fn check_write(&self, bucket: &str, key: &str) -> Result<(), PortError> {
        match *self.refused.lock().unwrap() {
            Some(kind) => Err(PortError::new(
                kind,
                Some("SlowDown"),
                format!("s3://{bucket}/{key}: the write was refused"),
            )),
            None => Ok(()),
        }
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
            .ok_or_else(|| self.missing(bucket, key))
    }

    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), PortError> {
        self.check_write(bucket, key)?;
        self.objects
            .lock()
            .unwrap()
            .insert((bucket.to_owned(), key.to_owned()), body);
        Ok(())
    }

    async fn get_versioned(&self, bucket: &str, key: &str) -> Result<Option<Versioned>, PortError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let objects = self.objects.lock().unwrap();
        match objects.get(&(bucket.to_owned(), key.to_owned())) {
            Some(body) => Ok(Some(Versioned {
                body: body.clone(),
                etag: Self::etag(body),
            })),
            None if self.deny_missing.load(Ordering::SeqCst) => Err(self.missing(bucket, key)),
            None => Ok(None),
        }
    }

    async fn put_object_if(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        expected: &Precondition,
    ) -> Result<bool, PortError> {
        self.check_write(bucket, key)?;
        let mut objects = self.objects.lock().unwrap();
        let slot = (bucket.to_owned(), key.to_owned());
        let current = objects.get(&slot).map(|b| Self::etag(b));
        let holds = match expected {
            Precondition::Absent => current.is_none(),
            Precondition::Matches(etag) => current.as_deref() == Some(etag.as_str()),
        };
        if holds {
            objects.insert(slot, body);
        }
        Ok(holds)
    }
}
