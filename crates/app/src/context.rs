//! Turns the connection flags, the environment variables and the profile
//! file into one resolved [`Context`]: base URL, credentials, recvWindow and
//! a ready REST client. Commands take a `Context` and never read flags or
//! environment variables themselves.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use mbx_adapters_rest::{ApiKey, ClientConfig, Credentials, Environment, RestClient};
use mbx_signing::{HmacKey, Signer};
use zeroize::Zeroizing;

use crate::cli::GlobalArgs;
use crate::config::{self, Profile};
use crate::env;
use crate::output::UserError;

/// Where to connect and as whom; every command that talks to Binance
/// takes these flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    /// The REST base URL, e.g. `http://127.0.0.1:8080` for a local sandbox
    /// (plain http only to loopback).
    #[arg(long, global = true, value_name = "URL", conflicts_with_all = ["testnet", "demo", "sandbox"])]
    pub base_url: Option<String>,

    /// Use the Spot testnet (`https://testnet.binance.vision`).
    #[arg(long, global = true, conflicts_with_all = ["demo", "sandbox"])]
    pub testnet: bool,

    /// Use demo mode (`https://demo-api.binance.com`).
    #[arg(long, global = true, conflicts_with = "sandbox")]
    pub demo: bool,

    /// Start the embedded sandbox exchange in-process with its demo account
    /// and use it: no account or key needed.
    #[arg(long, global = true)]
    pub sandbox: bool,

    /// Use this profile of `~/.config/mbx/config.toml` (default: `MBX_PROFILE`,
    /// then the file's `default_profile`).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// `recvWindow` for signed requests, in milliseconds (at most 60000).
    #[arg(long, global = true, value_name = "MS", value_parser = clap::value_parser!(u32).range(1..=60000))]
    pub recv_window: Option<u32>,
}

/// A resolved invocation: the client and what was used to build it.
#[derive(Debug)]
pub struct Context {
    /// `--json`.
    pub json: bool,
    /// The REST client.
    pub client: RestClient,
    /// A human description of the target, e.g. `testnet` or a URL.
    pub target: String,
    /// Whether `/sapi` endpoints exist at the target.
    pub has_sapi: bool,
    /// The `recvWindow` the server applies (ours, or its default 5000).
    pub recv_window_ms: u32,
    /// Where the credentials came from, or why there are none.
    pub credentials: Result<String, UserError>,
    sandbox: Option<mbx_sandbox::Sandbox>,
}

impl Context {
    /// Resolves the flags. Malformed or missing credentials do not fail
    /// here; they are kept in [`Context::credentials`] for the commands that
    /// need them (and for `mbx doctor` to report).
    pub async fn resolve(global: &GlobalArgs) -> Result<Context, UserError> {
        let args = &global.connect;
        init_tracing(global.verbose);
        if args.sandbox {
            return Context::embedded_sandbox(global, args).await;
        }
        let profile = select_profile(args.profile.as_deref())?;
        let environment = if let Some(url) = &args.base_url {
            Environment::Custom(url.clone())
        } else if args.testnet {
            Environment::Testnet
        } else if args.demo {
            Environment::Demo
        } else if let Some(text) = profile.as_ref().and_then(|p| p.environment.as_deref()) {
            Environment::parse(text).map_err(|err| {
                UserError::usage(
                    format!("profile: {err}"),
                    Some(
                        "set `environment` to `production`, `testnet`, `demo` or an `https://` URL",
                    ),
                )
            })?
        } else {
            Environment::Production
        };
        let recv_window = args
            .recv_window
            .or_else(|| profile.as_ref().and_then(|p| p.recv_window));
        let credentials = load_credentials(profile.as_ref());
        let (creds, description) = match credentials {
            Ok((creds, description)) => (Some(creds), Ok(description)),
            Err(err) => (None, Err(err)),
        };
        let client = build_client(&environment.base_url(), recv_window, creds)?;
        Ok(Context {
            json: global.json,
            client,
            target: environment.to_string(),
            has_sapi: environment.has_sapi(),
            recv_window_ms: recv_window.unwrap_or(5000),
            credentials: description,
            sandbox: None,
        })
    }

    async fn embedded_sandbox(
        global: &GlobalArgs,
        args: &ConnectArgs,
    ) -> Result<Context, UserError> {
        let sandbox = mbx_sandbox::Sandbox::start(mbx_sandbox::SandboxConfig::demo())
            .await
            .map_err(|err| {
                UserError::usage(format!("cannot start the embedded sandbox: {err}"), None)
            })?;
        let url = sandbox.rest_url();
        eprintln!("started the embedded sandbox at {url} (demo account, demo API key)");
        let credentials = Credentials::new(
            ApiKey::new(mbx_sandbox::DEMO_API_KEY)
                .map_err(|err| UserError::usage(err.to_string(), None))?,
            Signer::Hmac(
                HmacKey::from_secret_text(mbx_sandbox::DEMO_API_SECRET)
                    .map_err(|err| UserError::usage(err.to_string(), None))?,
            ),
        );
        let client = build_client(&url, args.recv_window, Some(credentials))?;
        Ok(Context {
            json: global.json,
            client,
            target: format!("embedded sandbox {url}"),
            has_sapi: true,
            recv_window_ms: args.recv_window.unwrap_or(5000),
            credentials: Ok("the sandbox's demo API key (HMAC)".to_owned()),
            sandbox: Some(sandbox),
        })
    }

    /// Fails with the credential problem, before anything is sent.
    pub fn require_credentials(&self) -> Result<(), UserError> {
        self.credentials.as_ref().map(drop).map_err(Clone::clone)
    }

    /// Stops the embedded sandbox, if one was started.
    pub async fn finish(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }
}

/// Runs `body` on a Tokio runtime and always cleans up the context.
pub fn block_on<F>(future: F) -> Result<(), UserError>
where
    F: std::future::Future<Output = Result<(), UserError>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| UserError::usage(format!("cannot start the async runtime: {err}"), None))?;
    runtime.block_on(future)
}

/// Loads the API key and the signer: from the profile when one is
/// selected, otherwise from `BINANCE_API_KEY` with `BINANCE_PRIVATE_KEY_FILE`
/// or `BINANCE_API_SECRET`. The key's format is checked here, so a malformed
/// key never reaches the server. Returns a description of the source (no
/// secret in it).
///
/// `mbx sign` could share this loader.
pub fn load_credentials(profile: Option<&Profile>) -> Result<(Credentials, String), UserError> {
    let profile = profile.cloned().unwrap_or_default();
    let (key_text, key_source) = if let Some(key) = &profile.api_key {
        (Some(key.clone()), "the profile's `api_key`".to_owned())
    } else {
        let var = profile
            .api_key_env
            .clone()
            .unwrap_or_else(|| env::BINANCE_API_KEY.to_owned());
        (std::env::var(&var).ok(), format!("`{var}`"))
    };
    let Some(key_text) = key_text else {
        return Err(UserError::usage(
            "no API key configured",
            Some(
                "set `BINANCE_API_KEY` and `BINANCE_API_SECRET` (or `BINANCE_PRIVATE_KEY_FILE`), or choose a profile with `--profile`; `--sandbox` runs against a local demo account",
            ),
        ));
    };
    let api_key = ApiKey::new(&key_text).map_err(|err| {
        UserError::usage(
            format!("{key_source}: {err}"),
            Some(
                "copy the API key again from API Management, without quotes, spaces or line breaks",
            ),
        )
    })?;
    let (signer, secret_source) = if let Some(path) = &profile.key_file {
        let path = config::expand_home(path);
        (
            signer_from_pem_file(&path)?,
            format!("`{}`", path.display()),
        )
    } else if let Some(path) = &profile.secret_file {
        let path = config::expand_home(path);
        let text = read_secret_file(&path)?;
        let key =
            HmacKey::from_secret_text(&text).map_err(|err| secret_error(&err, path.display()))?;
        (Signer::Hmac(key), format!("`{}`", path.display()))
    } else if let Some(path) = std::env::var_os(env::BINANCE_PRIVATE_KEY_FILE) {
        let path = PathBuf::from(path);
        (
            signer_from_pem_file(&path)?,
            format!("`{}` (`{}`)", path.display(), env::BINANCE_PRIVATE_KEY_FILE),
        )
    } else if let Ok(secret) = std::env::var(env::BINANCE_API_SECRET) {
        let secret = Zeroizing::new(secret);
        let key = HmacKey::from_secret_text(&secret)
            .map_err(|err| secret_error(&err, format!("`{}`", env::BINANCE_API_SECRET)))?;
        (Signer::Hmac(key), format!("`{}`", env::BINANCE_API_SECRET))
    } else {
        return Err(UserError::usage(
            "no secret configured for the API key",
            Some(
                "set `BINANCE_API_SECRET` (HMAC) or `BINANCE_PRIVATE_KEY_FILE` (Ed25519 or RSA PEM), or `secret_file`/`key_file` in the profile",
            ),
        ));
    };
    let description = format!(
        "{} key {} from {key_source}, {} from {secret_source}",
        signer.kind(),
        api_key,
        if matches!(signer, Signer::Hmac(_)) {
            "secret"
        } else {
            "private key"
        }
    );
    Ok((Credentials::new(api_key, signer), description))
}

pub(crate) fn select_profile(name: Option<&str>) -> Result<Option<Profile>, UserError> {
    let env_name = std::env::var(env::MBX_PROFILE)
        .ok()
        .filter(|n| !n.is_empty());
    let explicit = name.map(str::to_owned).or(env_name);
    let Some(path) = config::config_path() else {
        return match explicit {
            Some(name) => Err(no_profile(&name, None)),
            None => Ok(None),
        };
    };
    let file = config::load(&path)?;
    match explicit.or(file.default_profile.clone()) {
        Some(name) => match file.profiles.get(&name) {
            Some(profile) => Ok(Some(profile.clone())),
            None => Err(no_profile(&name, Some(&path))),
        },
        None => Ok(None),
    }
}

fn no_profile(name: &str, path: Option<&Path>) -> UserError {
    let place = path.map_or("no profile file found".to_owned(), |p| {
        format!("not in `{}`", p.display())
    });
    UserError::usage(
        format!("profile `{name}` not found ({place})"),
        Some(
            "add a `[profiles.NAME]` table to `~/.config/mbx/config.toml` (or the file in `MBX_CONFIG`)",
        ),
    )
}

fn build_client(
    base_url: &str,
    recv_window: Option<u32>,
    credentials: Option<Credentials>,
) -> Result<RestClient, UserError> {
    let mut config = ClientConfig::new(base_url).map_err(|err| {
        UserError::usage(
            err.to_string(),
            Some("use an `https://` URL, or `http://127.0.0.1:PORT` for a local sandbox"),
        )
    })?;
    config.recv_window_ms = recv_window;
    RestClient::new(config, credentials).map_err(|err| UserError::usage(err.to_string(), None))
}

pub(crate) fn signer_from_pem_file(path: &Path) -> Result<Signer, UserError> {
    let text = read_secret_file(path)?;
    Signer::from_private_key_pem(&text).map_err(|err| secret_error(&err, path.display()))
}

pub(crate) fn read_secret_file(path: &Path) -> Result<Zeroizing<String>, UserError> {
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|err| {
            UserError::usage(
                format!("cannot read key file `{}`: {err}", path.display()),
                Some("check the path and that the file is readable by you (keep it mode 600)"),
            )
        })
}

pub(crate) fn secret_error(err: &mbx_signing::Error, source: impl std::fmt::Display) -> UserError {
    let hint = match err {
        mbx_signing::Error::PublicKeyGiven { .. } => Some(
            "point `--key-file` or `BINANCE_PRIVATE_KEY_FILE` at the private key; the public key is what you register with Binance",
        ),
        mbx_signing::Error::NotPem => Some(
            "an HMAC secret goes in `BINANCE_API_SECRET` or `--secret-file`; `--key-file` and `BINANCE_PRIVATE_KEY_FILE` take a PEM private key",
        ),
        _ => Some("copy the secret again from API Management, without quotes or spaces"),
    };
    UserError::usage(format!("{source}: {err}"), hint)
}

/// Logs to stderr: warnings by default, `-v` info, `-vv` debug. Request
/// lines are logged with the signature masked; the API key travels in a
/// header and is never logged.
fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::new(format!(
        "warn,mbx={level},mbx_adapters_rest={level},mbx_domain={level}"
    ));
    let ansi = std::io::stderr().is_terminal() && std::env::var_os(env::NO_COLOR).is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .without_time()
        .try_init();
}
