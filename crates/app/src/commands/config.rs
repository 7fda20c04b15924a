//! `mbx config`: the configuration as mbx resolves it (secrets redacted),
//! and `mbx config init` to write a commented profile file.

use mbx_client::config::{self, Origin, ProcessVars};

use crate::cli::GlobalArgs;
use crate::context::TargetArgs;
use crate::error::CliError;
use crate::printer::{Align, Printer, Table, written};

/// Show the resolved configuration, or write a profile file template.
///
/// `mbx config` prints where every setting comes from, in the order mbx
/// applies them: the environment (production, testnet, demo or a URL), the
/// API key (first four characters only), the secret or private key (its
/// source, never its value), `recvWindow`, the profile file and profiles.
/// Nothing is sent.
///
/// Credentials are looked for in this order, and the first API key wins:
/// `--profile NAME`, then `BINANCE_API_KEY` with `BINANCE_API_SECRET` or
/// `BINANCE_PRIVATE_KEY_FILE`, then the default profile (`MBX_PROFILE`, else
/// the file's `default_profile`). The secret comes from `--secret-file` or
/// `--key-file` if given, else from the same place as the key.
///
/// The profile file is `MBX_CONFIG`, else `$XDG_CONFIG_HOME/mbx/config.toml`,
/// else `~/.config/mbx/config.toml`:
///
///   default_profile = "testnet"
///   [profiles.testnet]
///   environment = "testnet"          # production, testnet, demo, market-data or a URL
///   api_key = "..."                  # or api_key_env = "VAR"
///   secret_file = "~/.config/mbx/testnet.secret"   # or key_file = "ed25519.pem"
///   recv_window = 5000
///
/// `mbx config init` writes a commented template there (mode 600) and
/// refuses to overwrite a file.
///
/// Examples:
///
///   mbx config
///
///   mbx config --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ConfigArgs {
    #[command(flatten)]
    target: TargetArgs,

    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Write a commented profile file template (mode 600), unless one exists.
    ///
    /// The file is `MBX_CONFIG`, else `$XDG_CONFIG_HOME/mbx/config.toml`,
    /// else `~/.config/mbx/config.toml`; an existing file is never
    /// overwritten. Edit it, then `mbx config` shows what is used.
    ///
    /// Examples:
    ///
    ///   mbx config init
    ///
    ///   MBX_CONFIG=./testnet.toml mbx config init --json
    #[command(verbatim_doc_comment)]
    Init,
}

pub fn run(global: &GlobalArgs, args: ConfigArgs) -> Result<(), CliError> {
    let printer = Printer::new(global.json, global.quiet);
    if let Some(Action::Init) = args.action {
        let path = config::config_path(&ProcessVars).ok_or_else(|| {
            CliError::usage(
                "no place for the profile file: neither `MBX_CONFIG`, `XDG_CONFIG_HOME` nor `HOME` is set",
                Some("set `MBX_CONFIG` to the file to write"),
            )
        })?;
        config::write_template(&path)?;
        if printer.is_json() {
            return written(printer.json(&serde_json::json!({ "written": path })));
        }
        return written(printer.line(&format!(
            "wrote {} (mode 600); edit it, then `mbx config` shows what is used",
            path.display()
        )));
    }
    let resolved = args.target.resolve(&printer)?;
    let origin = |origin: &Origin| origin.to_string();
    let key = match &resolved.api_key {
        Ok(key) => (key.api_key.to_string(), key.source.clone()),
        Err(err) => (
            "-".to_owned(),
            CliError::from(err.clone()).error().to_string(),
        ),
    };
    let secret = match &resolved.signer {
        Ok(signer) => (
            format!("{} (redacted)", signer.signer.kind()),
            signer.source.clone(),
        ),
        Err(err) => ("-".to_owned(), err.to_string()),
    };
    let pairing = resolved.credentials().err().map(CliError::from);
    let recv_window = resolved
        .recv_window_ms
        .map_or("5000 (the server's default)".to_owned(), |ms| {
            ms.to_string()
        });
    let file = resolved
        .config_path
        .as_ref()
        .map_or("-".to_owned(), |path| {
            let state = if path.exists() {
                ""
            } else {
                " (does not exist)"
            };
            format!("{}{state}", path.display())
        });
    let profiles = if resolved.profiles.is_empty() {
        "-".to_owned()
    } else {
        resolved
            .profiles
            .iter()
            .map(|(name, explicit)| {
                if *explicit {
                    format!("{name} (--profile)")
                } else {
                    format!("{name} (default)")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if printer.is_json() {
        return written(printer.json(&serde_json::json!({
            "environment": resolved.environment.to_string(),
            "restUrl": resolved.environment.rest_url(),
            "streamUrl": resolved.environment.stream_url(),
            "wsApiUrl": resolved.environment.ws_api_url(),
            "environmentFrom": origin(&resolved.environment_origin),
            "apiKey": key.0,
            "apiKeyFrom": key.1,
            "secret": secret.0,
            "secretFrom": secret.1,
            "credentialsError": pairing.as_ref().map(|err| err.error().to_string()),
            "recvWindow": resolved.recv_window_ms,
            "configFile": resolved.config_path,
            "profiles": resolved.profiles.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            "notes": resolved.notes,
        })));
    }
    let mut table = Table::new(&[
        ("SETTING", Align::Left),
        ("VALUE", Align::Left),
        ("FROM", Align::Left),
    ]);
    table.row(vec![
        "environment".into(),
        resolved.environment.to_string(),
        origin(&resolved.environment_origin),
    ]);
    table.row(vec![
        "rest url".into(),
        resolved.environment.rest_url(),
        String::new(),
    ]);
    table.row(vec![
        "streams url".into(),
        resolved
            .environment
            .stream_url()
            .unwrap_or_else(|| "-".into()),
        String::new(),
    ]);
    table.row(vec![
        "ws api url".into(),
        resolved
            .environment
            .ws_api_url()
            .unwrap_or_else(|| "-".into()),
        String::new(),
    ]);
    table.row(vec!["api key".into(), key.0, key.1]);
    table.row(vec!["secret".into(), secret.0, secret.1]);
    table.row(vec!["recvWindow".into(), recv_window, String::new()]);
    table.row(vec!["profile file".into(), file, String::new()]);
    table.row(vec!["profiles".into(), profiles, String::new()]);
    written(printer.table(&table))?;
    if let Some(err) = pairing {
        printer.warn(&format!(
            "{}{}",
            err.error(),
            err.hint()
                .map(|hint| format!("; {hint}"))
                .unwrap_or_default()
        ));
    }
    Ok(())
}
