//! The durable broker of a chaos run: Tansu on SQLite, killed and started again on its data.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// Tansu keeping its data in SQLite in a directory of its own, on a port of its own.
pub struct DurableBroker {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl DurableBroker {
    pub async fn start(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut broker = Self {
            dir: dir.to_path_buf(),
            port,
            child: None,
        };
        broker.restart().await;
        broker
    }

    /// `host:port`, for `KAFKA_BROKERS`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `kill -9`: whatever it had not written to its data is gone with it.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// Starts it again on the same data and port; returns once it accepts connections.
    pub async fn restart(&mut self) {
        self.kill().await;
        let tansu = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(&std::env::var("HOME").unwrap()).join(".cargo"))
            .join("bin/tansu");
        assert!(
            tansu.exists(),
            "{} is missing: run make deps",
            tansu.display()
        );
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("broker.log"))
            .unwrap();
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let mut command = Command::new(tansu);
        // The broker's own log filter, to see inside it (`tansu_broker::coordinator=debug`).
        if let Some(filter) = std::env::var_os("NSK_CHAOS_BROKER_LOG") {
            command.env("RUST_LOG", filter);
        }
        let child = command
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "sqlite://broker.db",
            ])
            // Tansu resolves the SQLite path against its working directory.
            .current_dir(&self.dir)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "the broker did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
