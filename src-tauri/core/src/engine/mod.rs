//! The background engine: one task that `select!`s over a ticker and a command channel. On each
//! tick it runs the outbox's due jobs, and a sync of every connected account when the schedule
//! says so (every N minutes, on start, on "Sync now"; backing off while runs fail). Its state is
//! published on a watch channel (status bar, tray) and kept in the `settings` table (paused, last
//! sync), so a restart picks up where it was. Time comes from the injected clock; the tick is a
//! parameter, so tests run the loop in milliseconds.

pub mod notices;
pub mod schedule;

use std::sync::Arc;
use std::time::Duration;

use cremmy_protocol::engine::{EngineStatus, Notice};
use cremmy_protocol::sync::{SyncRequest, SyncTrigger};
use tokio::sync::{mpsc, watch};

use crate::backoff::random_jitter;
use crate::clock::{Clock, Timestamp};
use crate::crm::Crm;
use crate::sync::{SyncResult, SyncRunner};

/// The settings key that keeps background sync paused across restarts.
pub const PAUSED: &str = "sync.paused";

/// What the window or the tray asks of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineCommand {
    /// Sync every account now (also while paused).
    SyncNow,
    Pause,
    Resume,
    /// The sync interval changed.
    SettingsChanged,
    /// Finish what is running and end.
    Stop,
}

/// Talks to a running engine. Cheap to clone.
#[derive(Clone)]
pub struct EngineHandle {
    commands: mpsc::UnboundedSender<EngineCommand>,
    status: watch::Receiver<EngineStatus>,
    /// Rounds the loop has finished (what a caller waits on to know the engine looked and did
    /// nothing).
    rounds: Arc<std::sync::atomic::AtomicU64>,
}

impl EngineHandle {
    pub fn send(&self, command: EngineCommand) {
        // A stopped engine ignores commands; there is nothing left to do them.
        let _ = self.commands.send(command);
    }

    pub fn status(&self) -> EngineStatus {
        self.status.borrow().clone()
    }

    /// Changes to the status, for the window and the tray.
    pub fn subscribe(&self) -> watch::Receiver<EngineStatus> {
        self.status.clone()
    }

    /// Rounds finished so far (each: due jobs, the sync if due, notices, status).
    pub fn rounds(&self) -> u64 {
        self.rounds.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The running engine; [`Engine::stop`] ends it cleanly.
pub struct Engine {
    handle: EngineHandle,
    task: tokio::task::JoinHandle<()>,
}

impl Engine {
    /// Starts the loop: a sync right away (the app starting), then by the schedule. Notices
    /// (reconnect, replies, reminders) go to `notices`.
    pub fn start(
        runner: SyncRunner,
        clock: Arc<dyn Clock>,
        tick: Duration,
        notices: mpsc::UnboundedSender<Notice>,
    ) -> Engine {
        let (commands, inbox) = mpsc::unbounded_channel();
        let (status_tx, status) = watch::channel(EngineStatus::default());
        let status_tx = Arc::new(status_tx);
        let forward = forward_progress(&runner, status_tx.clone());
        let rounds = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let worker = Worker {
            rounds: rounds.clone(),
            crm: runner.crm().clone(),
            runner,
            clock,
            status: status_tx,
            notices,
            next_at: 0,
            failures: 0,
            last_started: None,
            first: true,
        };
        let task = tokio::spawn(async move {
            worker.run(inbox, tick).await;
            forward.abort();
        });
        Engine {
            handle: EngineHandle {
                commands,
                status,
                rounds,
            },
            task,
        }
    }

    pub fn handle(&self) -> EngineHandle {
        self.handle.clone()
    }

    /// Asks the loop to end after what it is doing, and waits up to `grace` for it; a run still
    /// going then is dropped (its cursor only moved with what it committed; the next start
    /// resumes from there).
    pub async fn stop(self, grace: Duration) {
        self.handle.send(EngineCommand::Stop);
        let mut task = self.task;
        if tokio::time::timeout(grace, &mut task).await.is_err() {
            task.abort();
        }
    }
}

/// The running sync's progress goes into the status as it changes.
fn forward_progress(
    runner: &SyncRunner,
    status: Arc<watch::Sender<EngineStatus>>,
) -> tokio::task::JoinHandle<()> {
    let mut progress = runner.progress();
    tokio::spawn(async move {
        while progress.changed().await.is_ok() {
            let now = progress.borrow_and_update().clone();
            status.send_if_modified(|s| {
                let changed = s.running != now;
                s.running = now.clone();
                changed
            });
        }
    })
}

struct Worker {
    rounds: Arc<std::sync::atomic::AtomicU64>,
    runner: SyncRunner,
    crm: Crm,
    clock: Arc<dyn Clock>,
    status: Arc<watch::Sender<EngineStatus>>,
    notices: mpsc::UnboundedSender<Notice>,
    /// When the next scheduled sync is due (0: at once, the app just started).
    next_at: Timestamp,
    /// Consecutive syncs that failed.
    failures: u32,
    last_started: Option<Timestamp>,
    /// The next sync is the start-up one.
    first: bool,
}

impl Worker {
    async fn run(mut self, mut inbox: mpsc::UnboundedReceiver<EngineCommand>, tick: Duration) {
        let mut ticker = tokio::time::interval(tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut noticed_until = self.clock.now();
        let mut finished = self.runner.finished();
        loop {
            let mut forced = false;
            let mut stop = false;
            tokio::select! {
                _ = ticker.tick() => {}
                // A sync started elsewhere ("Sync now", the CLI's runner in this process) ended:
                // publish the new last sync now rather than at the next tick.
                Ok(()) = finished.changed() => {
                    let _ = self.publish().await;
                    continue;
                }
                command = inbox.recv() => {
                    let command = command.unwrap_or(EngineCommand::Stop);
                    self.apply(command, &mut forced, &mut stop).await;
                }
            }
            // Everything else already asked for is handled in this round.
            while let Ok(command) = inbox.try_recv() {
                self.apply(command, &mut forced, &mut stop).await;
            }
            if stop {
                break;
            }
            let _ = self.round(forced).await;
            let now = self.clock.now();
            if let Ok(found) = notices::since(self.runner.database(), noticed_until, now).await {
                noticed_until = now;
                for notice in found {
                    let _ = self.notices.send(notice);
                }
            }
            let _ = self.publish().await;
            self.rounds
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    async fn apply(&mut self, command: EngineCommand, forced: &mut bool, stop: &mut bool) {
        let db = self.runner.database();
        let now = self.clock.now();
        match command {
            EngineCommand::SyncNow => *forced = true,
            EngineCommand::Pause => {
                let _ = db.put_setting(PAUSED, Some("true"), now).await;
            }
            EngineCommand::Resume => {
                let _ = db.put_setting(PAUSED, None, now).await;
            }
            EngineCommand::SettingsChanged => {
                let interval = self.interval_ms().await;
                self.next_at =
                    schedule::after_interval_change(self.next_at, self.last_started, interval);
            }
            EngineCommand::Stop => *stop = true,
        }
        let _ = self.publish().await;
    }

    /// One round: today's backup if it is not made yet, due jobs, then the sync if it is due or
    /// was asked for.
    async fn round(&mut self, forced: bool) -> SyncResult<()> {
        // A failed backup (a full disk) must not stop syncing; the next round tries again, and
        // `cremmy doctor` shows the newest backup.
        let _ = crate::backup::daily(self.crm.database(), self.clock.now()).await;
        let paused = self.paused().await;
        if !paused {
            self.runner.run_due_jobs().await?;
        }
        let now = self.clock.now();
        if !(forced || schedule::is_due(now, self.next_at, paused)) {
            return Ok(());
        }
        let trigger = match (forced, self.first) {
            (true, _) => SyncTrigger::Manual,
            (false, true) => SyncTrigger::Startup,
            (false, false) => SyncTrigger::Schedule,
        };
        self.first = false;
        self.last_started = Some(now);
        let result = self.runner.sync_now(&SyncRequest::default(), trigger).await;
        let ok = matches!(&result, Ok(runs) if runs.iter().all(|r| r.error.is_none()));
        self.failures = if ok { 0 } else { self.failures + 1 };
        let interval = self.interval_ms().await;
        self.next_at = schedule::after_run(now, interval, self.failures, random_jitter());
        result.map(|_| ())
    }

    async fn paused(&self) -> bool {
        matches!(
            self.runner
                .database()
                .setting(PAUSED)
                .await
                .ok()
                .flatten()
                .as_deref(),
            Some("true")
        )
    }

    async fn interval_ms(&self) -> i64 {
        let minutes = self
            .crm
            .settings()
            .await
            .map(|s| s.sync_interval_minutes)
            .unwrap_or(crate::crm::DEFAULT_SYNC_INTERVAL_MINUTES);
        i64::from(minutes) * 60_000
    }

    async fn publish(&self) -> SyncResult<()> {
        let paused = self.paused().await;
        let (queued, dead) = crate::jobs::counts(self.runner.database()).await?;
        let last = self.runner.last_sync().await?;
        let next = (!paused).then_some(self.next_at.max(self.clock.now()));
        self.status.send_if_modified(|s| {
            let before = s.clone();
            s.paused = paused;
            s.last_sync = last;
            s.next_sync_at = next;
            s.queued_jobs = queued;
            s.dead_jobs = dead;
            *s != before
        });
        Ok(())
    }
}
