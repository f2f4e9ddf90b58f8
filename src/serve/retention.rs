//! The service's own share of the retention period: the spool's rejected turns
//! (`spool_dir/rejected/`), kept for an operator to look at, hold transcripts and numbers like
//! the store's rows, and go after the longest `retention_days` of the communes served (the
//! store's rows are purged per commune by the console's retention task).

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::spool::REJECTED_DIR;
use super::state::AppState;

/// Deletes the files of `rejected` last modified more than `keep` ago; returns how many.
/// A missing folder holds nothing to delete.
pub fn purge_rejected(rejected: &Path, keep: Duration, now: SystemTime) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(rejected) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(error) => return Err(error),
    };
    let mut deleted = 0;
    for entry in entries {
        let entry = entry?;
        let metadata = entry.metadata()?;
        if !metadata.is_file() {
            continue;
        }
        let age = metadata
            .modified()
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .unwrap_or_default();
        if age > keep {
            std::fs::remove_file(entry.path())?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// How long the rejected turns are kept: the longest retention of the communes served.
pub fn rejected_retention(retention_days: impl IntoIterator<Item = u32>) -> Duration {
    let days = retention_days.into_iter().max().unwrap_or(0);
    Duration::from_secs(u64::from(days) * 86_400)
}

/// How often the rejected turns past the retention period are deleted.
pub const REJECTED_PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// Deletes the spool's rejected turns older than the longest retention of the communes.
pub fn purge_rejected_spool(state: &AppState) {
    let keep = rejected_retention(
        state
            .communes
            .values()
            .map(|c| c.knowledge.load_full().commune().retention_days),
    );
    let rejected = state.spool.dir().join(REJECTED_DIR);
    match purge_rejected(&rejected, keep, SystemTime::now()) {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "retention: old rejected spool files deleted"),
        Err(error) => {
            tracing::warn!(%error, "retention: the rejected spool files could not be purged")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_rejected_turns_go_recent_ones_stay() {
        let dir = std::env::temp_dir().join(format!("guichet-rejected-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rejected = dir.join("rejected");
        std::fs::create_dir_all(&rejected).expect("folder");
        std::fs::write(rejected.join("old.json"), "{}").expect("old");
        std::fs::write(rejected.join("old.json.error.txt"), "refused").expect("old reason");
        let now = SystemTime::now();
        // Nothing is older than a day yet.
        assert_eq!(
            purge_rejected(&rejected, Duration::from_secs(86_400), now).expect("purge"),
            0
        );
        // Seen 91 days later with a 90-day retention, both go.
        let later = now + Duration::from_secs(91 * 86_400);
        let keep = rejected_retention([30, 90]);
        assert_eq!(purge_rejected(&rejected, keep, later).expect("purge"), 2);
        assert_eq!(std::fs::read_dir(&rejected).expect("read").count(), 0);
        assert_eq!(
            purge_rejected(&dir.join("absent"), keep, later).expect("absent"),
            0
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
