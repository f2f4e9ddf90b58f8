//! The report commands piped into a reader that stops early (`… | head -1`).

use std::io::Read;
use std::process::{Command, Stdio};

/// `guichet kb search … | head -1`: the reader closes the pipe after one line; the command
/// ends without a panic or a stack trace on stderr.
#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args([
            "kb",
            "search",
            "communes/demo",
            "je voudrais refaire mon passeport",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("guichet starts");
    // Close the output before the command has written anything: its first write finds no reader.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr is piped")
        .read_to_string(&mut stderr)
        .expect("stderr reads");
    let status = child.wait().expect("guichet ends");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("stack backtrace"),
        "stderr: {stderr}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGPIPE), "status: {status:?}");
    }
    #[cfg(not(unix))]
    let _ = status;
}
