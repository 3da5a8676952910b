//! The `hub` binary itself: bad input gives one clear line and a non-zero
//! exit; `hub migrate` works; `hub serve` stops gracefully on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn hub() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hub"));
    // Start from a clean environment for the variables the hub reads.
    for var in [
        "DATABASE_URL",
        "HUB_DATA_DIR",
        "HUB_PUBLIC_URL",
        "LEPTOS_SITE_ADDR",
        "HUB_MASTER_KEY",
        "HUB_LOG_FORMAT",
        "HUB_LOG",
        "RUST_LOG",
        "HUB_SANDBOX",
    ] {
        command.env_remove(var);
    }
    command
}

/// Runs the command and returns (exit code, stderr) after checking stderr is
/// one line without a panic.
fn run_failing(command: &mut Command) -> (i32, String) {
    let output = command.output().expect("hub runs");
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    let code = output.status.code().expect("exited normally");
    assert_ne!(code, 0, "should fail: {stderr}");
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    assert!(
        !stderr.contains("RUST_BACKTRACE"),
        "no backtrace hint: {stderr}"
    );
    let error_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("hub:")).collect();
    assert_eq!(error_lines.len(), 1, "one error line: {stderr}");
    (code, error_lines[0].to_string())
}

#[test]
fn unknown_subcommand_is_one_line_and_exit_2() {
    let (code, line) = run_failing(hub().arg("frobnicate"));
    assert_eq!(code, 2);
    assert!(line.contains("frobnicate"), "{line}");
    assert!(line.contains("hub --help"), "{line}");
}

#[test]
fn malformed_variable_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_, line) = run_failing(
        hub()
            .arg("migrate")
            .env("HUB_DATA_DIR", dir.path())
            .env("HUB_PUBLIC_URL", "hub.example.com"),
    );
    assert!(line.starts_with("hub: HUB_PUBLIC_URL: "), "{line}");
}

#[test]
fn unreachable_database_is_reported_without_its_password() {
    let (_, line) = run_failing(
        hub()
            .arg("migrate")
            .env("DATABASE_URL", "postgres://postgres:s3cret@127.0.0.1:1/hub"),
    );
    assert!(
        line.starts_with("hub: DATABASE_URL: cannot connect to PostgreSQL at 127.0.0.1:1/hub"),
        "{line}"
    );
    assert!(!line.contains("s3cret"), "{line}");
}

#[test]
fn unwritable_data_dir_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let (_, line) = run_failing(hub().arg("migrate").env("HUB_DATA_DIR", file.join("data")));
    assert!(line.starts_with("hub: HUB_DATA_DIR: cannot use "), "{line}");
}

#[test]
fn migrate_creates_the_database_on_first_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh");
    let output = hub()
        .args(["migrate"])
        .env("HUB_DATA_DIR", &data)
        .env("HUB_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let total = {
        use migration::MigratorTrait;
        migration::Migrator::migrations().len()
    };
    assert!(
        stdout.contains(&format!("{total} of {total} migrations applied")),
        "{stdout}"
    );
    assert!(data.join("hub.db").exists());

    let status = hub()
        .args(["migrate", "status"])
        .env("HUB_DATA_DIR", &data)
        .env("HUB_LOG", "warn")
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&status.stdout);
    assert_eq!(
        listing.lines().filter(|l| l.starts_with("applied")).count(),
        total,
        "{listing}"
    );
}

#[test]
fn serve_logs_json_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = hub()
        .arg("serve")
        .env("HUB_DATA_DIR", dir.path())
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("HUB_LOG_FORMAT", "json")
        .env(
            "HUB_MASTER_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();

    // Wait for the "serving" line; every line is a JSON object.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        assert!(Instant::now() < deadline, "hub did not start: {seen:?}");
        let line = lines.next().expect("hub is still running").unwrap();
        let value: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("JSON log line: {line}"));
        let message = value["message"].as_str().unwrap_or_default().to_string();
        seen.push(message.clone());
        if message == "Integrations Hub is serving" {
            break;
        }
    }

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "hub stops after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|l| l.contains("shutdown requested")),
        "{rest:?}"
    );
    let all = format!("{seen:?}{rest:?}");
    assert!(
        !all.contains("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
        "the master key is never logged"
    );
}
