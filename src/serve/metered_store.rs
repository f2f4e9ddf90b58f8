//! The service's store with timings: every store call made by the service is observed in
//! `guichet_store_operation_seconds{operation}` and, when it fails, counted in
//! `guichet_store_errors_total{operation}` (`operation` is the method's name).
//!
//! A decorator rather than a hook inside the store crate or around each call: the turn
//! pipeline (`conversation/`), the handlers, the outbox worker and the tests call the store's
//! domain traits on `state.store` as on any store. Its methods are generated from the store's
//! one list of methods, so a new store method is measured without a line here.
//! The console keeps its own unmeasured handle (staff pages, not the citizens' path).

use std::future::Future;
use std::time::Instant;

use chrono::{DateTime, Utc};
use guichet_store::*;
use prometheus::{HistogramVec, IntCounterVec};

use super::metrics::ServiceMetrics;

/// An [`AnyStore`] whose calls are timed and counted.
#[derive(Clone)]
pub struct MeteredStore {
    inner: AnyStore,
    seconds: HistogramVec,
    errors: IntCounterVec,
}

impl MeteredStore {
    pub fn new(inner: AnyStore, metrics: &ServiceMetrics) -> MeteredStore {
        MeteredStore {
            inner,
            seconds: metrics.store_seconds.clone(),
            errors: metrics.store_errors.clone(),
        }
    }

    /// The store itself, unmeasured.
    pub fn inner(&self) -> &AnyStore {
        &self.inner
    }

    /// Closes the connection pools (graceful shutdown).
    pub async fn close(&self) {
        self.inner.close().await;
    }

    async fn observe<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let started = Instant::now();
        let result = call.await;
        self.seconds
            .with_label_values(&[operation])
            .observe(started.elapsed().as_secs_f64());
        if result.is_err() {
            self.errors.with_label_values(&[operation]).inc();
        }
        result
    }
}

/// Implements every store method as a timed call of the inner store, and lists the operations
/// ([`OPERATIONS`]); the methods come from the store's one list
/// ([`guichet_store::store_methods!`]).
macro_rules! metered {
    ($($(#[$tdoc:meta])* trait $trait:ident in $domain:ident { $($(#[$doc:meta])*
        fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;)* })*) => {
        /// Every operation name of `guichet_store_operation_seconds` (the store's methods).
        pub const OPERATIONS: &[&str] = &[$($(stringify!($name),)*)*];

        $(
            impl $trait for MeteredStore {
                $(
                    async fn $name(&self $(, $arg: $ty)*) -> Result<$ret> {
                        self.observe(stringify!($name), self.inner.$name($($arg),*)).await
                    }
                )*
            }
        )*
    };
}

guichet_store::store_methods!(metered);
