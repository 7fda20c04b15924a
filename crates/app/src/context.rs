//! Turns the connection flags into one resolved [`Context`], once: the
//! configuration (through `mbx_client::config`'s one precedence), a ready
//! REST client and the ports the use-cases take. Commands never read flags
//! or environment variables themselves.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::Arc;

use mbx_adapters_rest::{ClientConfig, RestClient, SystemClock};
use mbx_adapters_ws::{
    ApiConfig, Delivery, MarketStreamConfig, WsMarketStreams, WsOrderEntry, WsUserData,
};
use mbx_client::backoff::FileBackoffStore;
use mbx_client::config::{self, LoadedKey, LoadedSigner, Origin, ProcessVars, Resolved, Sources};
use mbx_client::orders::rules::{
    ExchangeInfoStore, FileExchangeInfoStore, MemoryExchangeInfoStore,
};
use mbx_client::orders::{Trading, TradingConfig, TradingPorts};
use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_domain::environment::Environment;
use mbx_domain::ports::{AccountData, MarketData, MarketStreamSource, OrderEntry, UserDataSource};
use mbx_domain::{ConfigError, Error};
use mbx_signing::{HmacKey, Signer};

use crate::cli::GlobalArgs;
use crate::env;
use crate::error::CliError;
use crate::printer::Printer;
use crate::progress;

/// Where to send requests and as whom.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// The REST base URL, e.g. `http://127.0.0.1:9900` for a local sandbox
    /// (plain http only to loopback; no `/api/v3` at the end).
    #[arg(long, value_name = "URL", conflicts_with_all = ["testnet", "demo"])]
    pub base_url: Option<String>,

    /// Use the Spot testnet (`https://testnet.binance.vision`).
    #[arg(long, conflicts_with = "demo")]
    pub testnet: bool,

    /// Use demo mode (`https://demo-api.binance.com`).
    #[arg(long)]
    pub demo: bool,

    /// Use this profile of `~/.config/mbx/config.toml` (default: `MBX_PROFILE`,
    /// then the file's `default_profile`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// `recvWindow` for signed requests, in milliseconds (at most 60000).
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u32).range(1..=60000))]
    pub recv_window: Option<u32>,

    /// Read the HMAC secret from this file (trailing newline ignored).
    #[arg(long, value_name = "FILE", conflicts_with = "key_file")]
    pub secret_file: Option<PathBuf>,

    /// Sign with the Ed25519 or RSA private key in this PEM file.
    #[arg(long, value_name = "PEM")]
    pub key_file: Option<PathBuf>,
}

/// [`TargetArgs`], plus the embedded sandbox.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Start the embedded sandbox exchange in-process with its demo account
    /// and use it: no account or key needed.
    #[arg(long, conflicts_with_all = ["base_url", "testnet", "demo", "profile"])]
    pub sandbox: bool,
}

impl TargetArgs {
    /// The flags as the loader's explicit sources.
    pub fn sources(&self) -> Result<Sources, CliError> {
        let environment = if let Some(url) = &self.base_url {
            Some((
                Environment::from_base_url(url).map_err(Error::Config)?,
                format!("--base-url {url}"),
            ))
        } else if self.testnet {
            Some((Environment::Testnet, "--testnet".to_owned()))
        } else if self.demo {
            Some((Environment::Demo, "--demo".to_owned()))
        } else {
            None
        };
        Ok(Sources {
            profile: self.profile.clone(),
            secret_file: self.secret_file.clone(),
            key_file: self.key_file.clone(),
            environment,
            recv_window: self.recv_window,
        })
    }

    /// Resolves the configuration and says on stderr what the user should
    /// know (a key found in two places, …).
    pub fn resolve(&self, printer: &Printer) -> Result<Resolved, CliError> {
        let resolved = config::resolve(&self.sources()?, &ProcessVars)?;
        for note in &resolved.notes {
            printer.notice(&format!("note: {note}"));
        }
        Ok(resolved)
    }
}

/// A resolved invocation: the configuration, the REST client and the
/// embedded sandbox if one was started.
#[derive(Debug)]
pub struct Context {
    /// How to print.
    pub printer: Printer,
    /// The configuration, resolved once.
    pub config: Resolved,
    /// The REST client (it implements the REST ports).
    pub rest: Arc<RestClient>,
    sandbox: Option<mbx_sandbox::Sandbox>,
}

impl Context {
    /// Resolves the flags and builds the REST client. Missing or malformed
    /// credentials do not fail here; commands that need them ask with
    /// [`Context::credentials`] (and `mbx doctor` reports them).
    pub async fn connect(global: &GlobalArgs, args: &ConnectArgs) -> Result<Context, CliError> {
        let printer = Printer::new(global.json, global.quiet);
        init_tracing(global);
        let (config, sandbox) = if args.sandbox {
            let (config, sandbox) = embedded_sandbox(&args.target, &printer).await?;
            (config, Some(sandbox))
        } else {
            (args.target.resolve(&printer)?, None)
        };
        let mut client_config = ClientConfig::new(&config.environment.rest_url())?;
        client_config.recv_window_ms = config.recv_window_ms;
        let mut rest = RestClient::new(client_config, config.credentials().ok())?;
        if let Some(dir) = config::cache_dir(&ProcessVars) {
            rest = rest.with_backoff_store(Arc::new(FileBackoffStore::new(dir)));
        }
        if let Some(observer) = progress::observer(global) {
            rest = rest.with_observer(observer);
        }
        Ok(Context {
            printer,
            config,
            rest: Arc::new(rest),
            sandbox,
        })
    }

    /// Where requests go.
    pub fn environment(&self) -> &Environment {
        &self.config.environment
    }

    /// The `recvWindow` the server applies (ours, or its default 5000).
    pub fn recv_window_ms(&self) -> u32 {
        self.config.recv_window_ms.unwrap_or(5000)
    }

    /// The credentials, or why there are none (before anything is sent).
    pub fn credentials(&self) -> Result<Credentials, CliError> {
        Ok(self.config.credentials()?)
    }

    /// The account over REST.
    pub fn account(&self) -> Arc<dyn AccountData> {
        self.rest.clone()
    }

    /// Market data over REST.
    pub fn market(&self) -> Arc<dyn MarketData> {
        self.rest.clone()
    }

    /// The user-data stream over the environment's WebSocket API, or
    /// `url_override`.
    pub fn user_data(
        &self,
        url_override: Option<&str>,
    ) -> Result<Arc<dyn UserDataSource>, CliError> {
        let credentials = self.credentials()?;
        let url = match url_override {
            Some(url) => url.to_owned(),
            None => self.environment().ws_api_url().ok_or_else(|| {
                CliError::from(Error::Config(ConfigError::NoUrl {
                    what: "WebSocket API",
                    environment: self.environment().to_string(),
                }))
                .with_hint("pass the WebSocket API URL with `--ws-api-url`, e.g. `wss://ws-api.binance.com:443/ws-api/v3`")
            })?,
        };
        let mut config = ApiConfig::new(url);
        config.recv_window_ms = Some(self.recv_window_ms());
        Ok(Arc::new(WsUserData::new(config, credentials)))
    }

    /// Market streams of the environment, or `url_override`.
    pub fn market_streams(
        &self,
        url_override: Option<&str>,
    ) -> Result<Arc<dyn MarketStreamSource>, CliError> {
        self.market_streams_delivering(url_override, Delivery::Events)
    }

    /// Market streams delivering typed events, frames verbatim, or both.
    pub fn market_streams_delivering(
        &self,
        url_override: Option<&str>,
        delivery: Delivery,
    ) -> Result<Arc<dyn MarketStreamSource>, CliError> {
        let mut config = MarketStreamConfig::new(self.stream_url(url_override)?);
        config.delivery = delivery;
        Ok(Arc::new(WsMarketStreams::new(config)))
    }

    /// Market streams that deliver every frame verbatim (for a recording),
    /// and their base URL.
    pub fn market_frames(
        &self,
        url_override: Option<&str>,
    ) -> Result<(Arc<dyn MarketStreamSource>, String), CliError> {
        let url = self.stream_url(url_override)?;
        let source = self.market_streams_delivering(Some(&url), Delivery::Frames)?;
        Ok((source, url))
    }

    /// The WebSocket Streams base URL: `url_override`, else the
    /// environment's.
    fn stream_url(&self, url_override: Option<&str>) -> Result<String, CliError> {
        match url_override {
            Some(url) => Ok(url.to_owned()),
            None => self.environment().stream_url().ok_or_else(|| {
                CliError::from(Error::Config(ConfigError::NoUrl {
                    what: "WebSocket Streams",
                    environment: self.environment().to_string(),
                }))
                .with_hint("pass the streams base URL with `--stream-url`, e.g. `wss://data-stream.binance.vision`")
            }),
        }
    }

    /// The order use-case, with orders sent over REST, or over the
    /// WebSocket API session `ws` when one is given. Symbol rules are
    /// cached in the cache directory (in memory for `--sandbox`, whose
    /// rules live as long as the process).
    pub fn trading(&self, ws: Option<WsOrderEntry>) -> Trading {
        let orders: Arc<dyn OrderEntry> = match ws {
            Some(ws) => Arc::new(ws),
            None => self.rest.clone(),
        };
        let rules: Arc<dyn ExchangeInfoStore> = match config::cache_dir(&ProcessVars) {
            Some(dir) if self.sandbox.is_none() => Arc::new(FileExchangeInfoStore::new(dir)),
            _ => Arc::new(MemoryExchangeInfoStore::new()),
        };
        let mut config = TradingConfig::new(&self.environment().rest_host());
        config.recv_window = std::time::Duration::from_millis(u64::from(self.recv_window_ms()));
        Trading::new(
            TradingPorts {
                orders,
                market: self.rest.clone(),
                account: self.rest.clone(),
                clock: Arc::new(SystemClock),
                rules,
            },
            config,
        )
    }

    /// A WebSocket API session of the environment (or at `url_override`),
    /// signed with the credentials, for orders over `order.place`.
    pub async fn ws_orders(&self, url_override: Option<&str>) -> Result<WsOrderEntry, CliError> {
        let credentials = self.credentials()?;
        let url = match url_override {
            Some(url) => url.to_owned(),
            None => self.environment().ws_api_url().ok_or_else(|| {
                CliError::from(Error::Config(ConfigError::NoUrl {
                    what: "WebSocket API",
                    environment: self.environment().to_string(),
                }))
                .with_hint("pass the WebSocket API URL with `--ws-api-url`, e.g. `wss://ws-api.binance.com:443/ws-api/v3`")
            })?,
        };
        let mut config = ApiConfig::new(url);
        config.recv_window_ms = Some(self.recv_window_ms());
        Ok(WsOrderEntry::connect(config, credentials).await?)
    }

    /// Stops the embedded sandbox, if one was started.
    pub async fn finish(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }
}

/// Starts the embedded sandbox and resolves to its demo account.
async fn embedded_sandbox(
    target: &TargetArgs,
    printer: &Printer,
) -> Result<(Resolved, mbx_sandbox::Sandbox), CliError> {
    let sandbox = mbx_sandbox::Sandbox::start(mbx_sandbox::SandboxConfig::demo())
        .await
        .map_err(|err| {
            CliError::usage(format!("cannot start the embedded sandbox: {err}"), None)
        })?;
    let url = sandbox.rest_url();
    printer.notice(&format!(
        "started the embedded sandbox at {url} (demo account, demo API key)"
    ));
    let origin = Origin::Flag("--sandbox".to_owned());
    let api_key = ApiKey::new(mbx_sandbox::DEMO_API_KEY).map_err(Error::Config)?;
    let signer = Signer::Hmac(
        HmacKey::from_secret_text(mbx_sandbox::DEMO_API_SECRET)
            .map_err(|err| Error::Config(err.into()))?,
    );
    let config = Resolved {
        environment: Environment::from_base_url(&url).map_err(Error::Config)?,
        environment_origin: origin.clone(),
        recv_window_ms: target.recv_window,
        config_path: None,
        profiles: Vec::new(),
        api_key: Ok(LoadedKey {
            api_key,
            source: "the sandbox's demo API key".to_owned(),
            origin: origin.clone(),
        }),
        signer: Ok(LoadedSigner {
            signer,
            source: "the sandbox's demo secret".to_owned(),
            origin,
            file: None,
        }),
        notes: Vec::new(),
    };
    Ok((config, sandbox))
}

/// Runs `body` on a Tokio runtime; an error is printed by `printer`.
pub fn block_on<F>(future: F) -> Result<(), CliError>
where
    F: std::future::Future<Output = Result<(), CliError>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| CliError::usage(format!("cannot start the async runtime: {err}"), None))?;
    runtime.block_on(future)
}

/// Logs to stderr: warnings by default, `-v` info, `-vv` debug, only
/// errors with `-q`. Request lines are logged with the signature masked;
/// the API key travels in a header and is never logged.
pub fn init_tracing(global: &GlobalArgs) {
    let level = match (global.quiet, global.verbose) {
        (true, 0) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        _ => "debug",
    };
    let base = if global.quiet { "error" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::new(format!(
        "{base},mbx={level},mbx_adapters_rest={level},mbx_adapters_ws={level},mbx_client={level},mbx_domain={level},mbx_sandbox={level}"
    ));
    let ansi = std::io::stderr().is_terminal() && !env::no_color();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| progress::Stderr)
        .with_ansi(ansi)
        .with_target(false)
        .without_time()
        .try_init();
}
