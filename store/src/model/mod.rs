//! The records the store reads and writes, by domain. Backend-neutral: no SQL here.

use std::str::FromStr;

use crate::error::StoreError;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the database (and used in JSON).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::StoreError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::error::StoreError::Invalid(format!(
                        concat!("unknown ", stringify!($name), " {:?}"),
                        other
                    ))),
                }
            }
        }
    };
}

mod audit;
mod notifications;
mod outbox;
mod privacy;
mod sessions;
mod staff;
mod tickets;
mod turn_record;

pub use audit::*;
pub use notifications::*;
pub use outbox::*;
pub use privacy::*;
pub use sessions::*;
pub use staff::*;
pub use tickets::*;
pub use turn_record::*;

/// Parses a stored enum text, reporting a corrupt row instead of panicking.
pub(crate) fn parse_stored<T: FromStr>(
    text: &str,
    table: &'static str,
    column: &'static str,
) -> Result<T, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt {
        table,
        column,
        detail: format!("unexpected value {text:?}"),
    })
}

/// Counts per state from `(state, count)` rows: every state of `all`, in its order, zero when
/// absent; shared by both backends (notifications, outbox).
pub(crate) fn counts_by_state<S: Copy + PartialEq + FromStr>(
    all: &[S],
    rows: Vec<(String, i64)>,
    table: &'static str,
) -> Result<Vec<(S, i64)>, StoreError> {
    let mut counts: Vec<(S, i64)> = all.iter().map(|s| (*s, 0)).collect();
    for (text, count) in rows {
        let state: S = parse_stored(&text, table, "state")?;
        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
            slot.1 += count;
        }
    }
    Ok(counts)
}
