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
    /// Manage users.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Re-encrypt every stored secret under a new master key (resumable).
    RotateKey {
        /// A file holding the new key: base64 of 32 random bytes (`openssl rand -base64 32 > new.key`).
        #[arg(long)]
        new_key_file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum UserAction {
    /// Create a user (the password is read from standard input); creates the tenant if missing.
    Create {
        /// URL name of the tenant, e.g. acme.
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        /// member, admin or owner.
        #[arg(long)]
        role: String,
        /// Display name (defaults to the part of the email before the @).
        #[arg(long)]
        name: Option<String>,
        /// May use the platform console (/platform).
        #[arg(long)]
        platform_owner: bool,
    },
}

#[derive(Debug, Subcommand)]
enum TokenAction {
    /// Create an API token acting as the user with this email; prints it once.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Days until the token expires (default: never).
        #[arg(long)]
        expires_in_days: Option<u32>,
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
            Command::User { action } => user(config, action).await,
            Command::Token { action } => token(config, action).await,
            Command::RotateKey { new_key_file } => rotate_key(config, new_key_file).await,
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
    // Listening for SIGTERM before saying so: whoever waits for this line may signal at once.
    let shutdown = shutdown_signal();
    tracing::info!(
        address = %app.local_addr(),
        %public_url,
        %database,
        "Integrations Hub is serving"
    );
    app.run_until(shutdown)
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

/// Connects and migrates, for the commands that work on accounts.
async fn ready_database(config: &Config) -> Result<sea_orm::DatabaseConnection, String> {
    let conn = db::connect(&config.database)
        .await
        .map_err(|e| e.to_string())?;
    db::migrate(&conn).await.map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Reads the password from standard input (one line; a trailing newline is not part of it).
fn read_password() -> Result<String, String> {
    use std::io::Read;
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = input.strip_suffix('\n').unwrap_or(&input);
    let password = password.strip_suffix('\r').unwrap_or(password);
    Ok(password.to_string())
}

async fn user(config: Config, action: UserAction) -> Result<(), String> {
    use app::domain::auth::Role;
    use app::domain::validate::{DisplayName, Email, NewPassword, Slug};

    let UserAction::Create {
        tenant,
        email,
        role,
        name,
        platform_owner,
    } = action;
    let slug = Slug::parse(&tenant).map_err(|e| format!("--tenant: {e}"))?;
    let email = Email::parse(&email).map_err(|e| format!("--email: {e}"))?;
    let role = Role::parse(&role).map_err(|e| format!("--role: {e}"))?;
    let default_name = email
        .as_str()
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string();
    let name = DisplayName::parse(name.as_deref().unwrap_or(&default_name), "a name")
        .map_err(|e| format!("--name: {e}"))?;
    let password =
        NewPassword::parse(&read_password()?).map_err(|e| format!("password (stdin): {e}"))?;

    let conn = ready_database(&config).await?;
    let passwords = crate::auth::Passwords::new().map_err(|e| e.to_string())?;
    let password_hash = passwords
        .hash(password.expose())
        .await
        .map_err(|e| e.to_string())?;
    let tenant_name =
        DisplayName::parse(slug.as_str(), "the tenant name").map_err(|e| e.to_string())?;
    let account = crate::accounts::NewAccount {
        tenant_slug: slug.clone(),
        tenant_name,
        email: email.clone(),
        name,
        role,
        password_hash,
        is_platform_owner: platform_owner,
    };
    let (user_id, tenant_created) = crate::accounts::create_account(&conn, account)
        .await
        .map_err(|e| e.to_string())?;
    if tenant_created {
        println!("created tenant {}", slug.as_str());
    }
    println!(
        "created user {} ({}) in {} with id {user_id}{}",
        email.as_str(),
        role,
        slug.as_str(),
        if platform_owner {
            ", platform owner"
        } else {
            ""
        }
    );
    Ok(())
}

async fn token(config: Config, action: TokenAction) -> Result<(), String> {
    use app::api::ports::AccountsPort;
    use app::domain::validate::Email;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let TokenAction::Create {
        email,
        name,
        expires_in_days,
    } = action;
    let email = Email::parse(&email).map_err(|e| format!("--email: {e}"))?;
    let conn = ready_database(&config).await?;
    let user = crate::db::entities::user::Entity::find()
        .filter(crate::db::entities::user::Column::Email.eq(email.as_str()))
        .one(&conn)
        .await
        .map_err(|e| format!("cannot look up the user: {}", db::one_line(&e)))?
        .ok_or_else(|| format!("--email: no user has the email {}", email.as_str()))?;
    let principal = crate::auth::principal::load(&conn, user.id)
        .await
        .map_err(|e| format!("cannot load the user: {}", db::one_line(&e)))?
        .ok_or_else(|| format!("--email: the user {} is deactivated", email.as_str()))?;
    let service = crate::accounts::AccountsService {
        db: conn,
        passwords: crate::auth::Passwords::new().map_err(|e| e.to_string())?,
    };
    // The CLI is the operator: it may create a token for any user, whatever their role.
    let operator = app::domain::auth::Principal {
        role: app::domain::auth::Role::Owner,
        ..principal.clone()
    };
    let created = service
        .create_token(&operator, name, expires_in_days)
        .await
        .map_err(|e| match e {
            app::domain::AppError::Validation(fields) => fields
                .iter()
                .map(|f| format!("--{}: {}", f.field.replace('_', "-"), f.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        })?;
    eprintln!(
        "created API token {} for {} (role {}); it is shown only once:",
        created.summary.prefix, principal.email, principal.role
    );
    println!("{}", created.token);
    Ok(())
}

async fn rotate_key(config: Config, new_key_file: std::path::PathBuf) -> Result<(), String> {
    use crate::crypto::{self, master_key, Keyring, MasterKeySource};

    let new_key = master_key::read_key_file(&new_key_file).map_err(|e| match e {
        master_key::MasterKeyError::File { path, reason } => format!("--new-key-file: cannot read {path}: {reason}"),
        master_key::MasterKeyError::Malformed { path, problem } => {
            format!("--new-key-file: {path} {problem}; create one with `openssl rand -base64 32 > {path}`")
        }
        other => other.to_string(),
    })?;
    let conn = ready_database(&config).await?;
    let (current, source) = crypto::load_or_generate(&config).map_err(|e| e.to_string())?;
    let new_version = crypto::key_version(&new_key);
    let mut keyring = Keyring::new(&new_key).with_previous(&current);
    if let Some(previous) = &config.previous_master_key {
        keyring = keyring.with_previous(previous);
    }
    if crypto::key_version(&current) == new_version {
        println!("the key in {} is already the current key; re-encrypting anything left under older keys", new_key_file.display());
    }
    let total = crypto::rotate::rotate_all(&conn, &keyring, |tenant, changed| {
        println!("tenant {tenant}: {changed} secrets re-encrypted");
    })
    .await
    .map_err(|e| format!("rotation stopped (run the same command again to resume): {e}"))?;
    println!("{total} secrets now use key {new_version:08x}");
    match source {
        MasterKeySource::File(path) | MasterKeySource::Generated(path) => {
            let temporary = path.with_extension("key.new");
            std::fs::copy(&new_key_file, &temporary)
                .and_then(|_| {
                    #[cfg(unix)]
                    {
                        use std::os::unix::fs::PermissionsExt;
                        std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600))?;
                    }
                    std::fs::rename(&temporary, &path)
                })
                .map_err(|e| format!("re-encrypted, but could not replace {}: {e}; copy the new key there yourself", path.display()))?;
            println!("{} now holds the new key; restart the hub", path.display());
        }
        MasterKeySource::Environment => {
            println!("set HUB_MASTER_KEY to the new key (the contents of {}) and restart every hub process", new_key_file.display());
        }
    }
    Ok(())
}
