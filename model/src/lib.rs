//! guichet-model: the records of guichet, by domain, as the store keeps them and the engine,
//! the service, the console and the office read them: conversations (`sessions`), the
//! standardistes' queue (`tickets`), the SMS outbox and its retry rule (`outbox`), ticket
//! notifications (`notifications`), staff and API keys (`staff`), the audit log and evaluation
//! runs (`audit`), callers' rights (`privacy`) and one turn's record (`turn_record`).
//!
//! Plain data and the rules that belong to it (validation, life cycles, retry delays): no SQL,
//! no I/O; the records take instants and never read the time. The one injected [`Clock`] that
//! gives those instants to the service, the workers and the console is here too (`clock`), as
//! the crate they all share; the store never reads it. The engine (`guichet-agent`) takes [`Channel`] and [`TicketKind`] from here,
//! so that a channel or a ticket kind means one thing in every crate; the store
//! (`guichet-store`) re-exports everything.

/// A record that cannot be kept as it is (an empty key, an unknown enum text…).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

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
            type Err = $crate::Invalid;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::Invalid(format!(
                        concat!("unknown ", stringify!($name), " {:?}"),
                        other
                    ))),
                }
            }
        }
    };
}

mod audit;
mod clock;
mod notifications;
mod outbox;
mod privacy;
mod sessions;
mod staff;
mod tickets;
mod turn_record;

pub use audit::*;
pub use clock::Clock;
pub use notifications::*;
pub use outbox::*;
pub use privacy::*;
pub use sessions::*;
pub use staff::*;
pub use tickets::*;
pub use turn_record::*;
