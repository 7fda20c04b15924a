//! `mbx api`: any endpoint, the raw JSON body out.

use mbx_adapters_rest::{Request, Security};

use crate::cli::GlobalArgs;
use crate::context::{self, ConnectArgs, Context};
use crate::error::CliError as UserError;
use crate::printer::{Printer, written};

/// Call any REST endpoint and print the raw JSON body.
///
/// Parameters are sent in the order given, percent-encoded. A signed
/// request gets `recvWindow` (if set) and `timestamp` from the synced clock,
/// is signed, gets `signature` appended and sends the API key in the
/// `X-MBX-APIKEY` header. Endpoints the docs mark `TRADE` or `USER_DATA`
/// are signed without `--signed` (said on stderr), and `USER_STREAM` ones
/// get the API key, so no request leaves that can only fail with -2014;
/// `--signed` and `--key-only` force it for any other path. The body is
/// printed exactly as the server sent it; an error answer prints its code,
/// message and hint and exits 1.
///
/// Examples:
///
///   mbx api GET /api/v3/ticker/price -p symbol=BTCUSDT --sandbox
///
///   mbx api GET /api/v3/account --signed -p omitZeroBalances=true --sandbox
///
///   mbx api POST /api/v3/order/test --signed -p symbol=BTCUSDT -p side=BUY -p type=MARKET -p quantity=0.001 --sandbox
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ApiArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    /// `GET`, `POST`, `PUT` or `DELETE`.
    #[arg(value_name = "METHOD")]
    method: String,

    /// The endpoint path, e.g. `/api/v3/account`.
    #[arg(value_name = "PATH")]
    path: String,

    /// A request parameter (repeatable), in order.
    #[arg(short = 'p', long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,

    /// Sign the request (`TRADE` and `USER_DATA` endpoints).
    #[arg(long)]
    signed: bool,

    /// Send the API key in `X-MBX-APIKEY` without signing.
    #[arg(long, conflicts_with = "signed")]
    key_only: bool,
}

pub fn run(global: &GlobalArgs, args: ApiArgs) -> Result<(), UserError> {
    let printer = Printer::new(global.json, global.quiet);
    let (request, security) = build_request(&args, |text| printer.notice(text))?;
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = call(&ctx, request, security).await;
        ctx.finish().await;
        res
    })
}

async fn call(ctx: &Context, request: Request, security: Security) -> Result<(), UserError> {
    if security != Security::None {
        ctx.credentials()?;
    }
    let response = ctx.rest.send(request).await?;
    written(ctx.printer.line(response.body.trim_end()))
}

fn build_request(args: &ApiArgs, notice: impl Fn(&str)) -> Result<(Request, Security), UserError> {
    let mut request = Request::new(&args.method, &args.path).map_err(|err| {
        UserError::usage(
            err.to_string(),
            Some("write `mbx api GET /api/v3/time`: a method, then a path starting with `/`"),
        )
    })?;
    let security = if args.signed {
        Security::Signed
    } else if args.key_only {
        Security::ApiKey
    } else {
        match mbx_domain::endpoints::rest_endpoint(&args.method, &args.path) {
            Some(endpoint) if endpoint.security.needs_signature() => {
                notice(&format!(
                    "{} {} is a {} endpoint: signing it (as with `--signed`)",
                    endpoint.method.as_str(),
                    endpoint.path,
                    endpoint.security.label()
                ));
                Security::Signed
            }
            Some(endpoint) if endpoint.security.needs_api_key() => Security::ApiKey,
            _ => Security::None,
        }
    };
    for param in &args.params {
        let Some((name, value)) = param.split_once('=') else {
            return Err(UserError::usage(
                format!("parameter `{param}` is not KEY=VALUE"),
                Some("write each parameter as `-p name=value`, e.g. `-p symbol=BTCUSDT`"),
            ));
        };
        if security == Security::Signed && matches!(name, "signature" | "timestamp") {
            return Err(UserError::usage(
                format!("`{name}` is added by mbx for signed requests; do not pass it with `-p`"),
                Some(&format!(
                    "drop `-p {name}=...`; to give the request more time, use `--recv-window 10000`"
                )),
            ));
        }
        request = request.param(name, value);
    }
    Ok((request.security(security), security))
}
