//! The `hub` command line (SPEC §7). Every failure is one line on stderr and
//! a non-zero exit; never a panic backtrace.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

use crate::config::Config;
use crate::startup::{shutdown_signal, Application};
use crate::{db, telemetry};

#[derive(Debug, Parser)]
#[command(name = "hub", version, about = "The Integrations Hub server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the hub (the default).
    Serve,
    /// Manage the database schema.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
}

#[derive(Debug, Subcommand)]
enum MigrateAction {
    /// Apply every pending migration (the default).
    Up,
    /// Roll back the newest migrations.
    Down {
        /// How many migrations to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

/// Usage errors exit with 2, everything else that fails with 1.
const EXIT_USAGE: u8 = 2;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            use clap::error::ErrorKind;
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) {
                let _ = err.print();
                return ExitCode::SUCCESS;
            }
            let rendered = err.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "hub: {} (see `hub --help`)",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(EXIT_USAGE);
        }
    };

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => return fail(err),
    };
    telemetry::init(config.log_format, &config.log_filter);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(format!("cannot start the async runtime: {err}")),
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::Migrate { action } => {
                migrate(config, action.unwrap_or(MigrateAction::Up)).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(message),
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("hub: {}", message.to_string().replace('\n', " "));
    ExitCode::FAILURE
}

async fn serve(config: Config) -> Result<(), String> {
    let site_root = config.site_root.clone();
    let database = config.database.describe();
    let public_url = config.public_url.clone();
    let app = Application::build(config)
        .await
        .map_err(|e| e.to_string())?;
    if !site_root
        .join("pkg")
        .join(format!("{}.js", crate::startup::BUNDLE_NAME))
        .exists()
    {
        tracing::warn!(
            site_root = %site_root.display(),
            "the browser bundle is missing: pages render but do not become interactive; build it with .ci/build-frontend"
        );
    }
    tracing::info!(
        address = %app.local_addr(),
        %public_url,
        %database,
        "Integrations Hub is serving"
    );
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| format!("server stopped: {e}"))?;
    tracing::info!("stopped");
    Ok(())
}

async fn migrate(config: Config, action: MigrateAction) -> Result<(), String> {
    use migration::{Migrator, MigratorTrait};
    let conn = db::connect(&config.database)
        .await
        .map_err(|e| e.to_string())?;
    match action {
        MigrateAction::Up => {
            db::migrate(&conn).await.map_err(|e| e.to_string())?;
            let (applied, total) = db::migration_progress(&conn).await?;
            println!(
                "{applied} of {total} migrations applied ({})",
                config.database.describe()
            );
        }
        MigrateAction::Down { steps } => {
            Migrator::down(&conn, Some(steps))
                .await
                .map_err(|e| format!("cannot roll back: {}", db::one_line(&e)))?;
            let (applied, total) = db::migration_progress(&conn).await?;
            println!("rolled back {steps}; {applied} of {total} migrations applied");
        }
        MigrateAction::Status => {
            let all = Migrator::get_migration_with_status_read_only(&conn)
                .await
                .map_err(|e| format!("cannot read migration state: {}", db::one_line(&e)))?;
            for m in all {
                println!("{:<8} {}", m.status().to_string().to_lowercase(), m.name());
            }
        }
    }
    Ok(())
}
