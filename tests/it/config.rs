//! `mbx config` and the one credentials loader: what is used and why,
//! secrets redacted, the profile template written private.
// See: issue #10

use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET};
use mbx_tests::{mbx, run};

use crate::balances::Running;

/// A scratch folder with a profile file whose default profile points at the
/// sandbox with the demo key.
fn profile_dir(name: &str, base_url: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mbx-config-it-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret = dir.join("demo.secret");
    std::fs::write(&secret, DEMO_API_SECRET).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "default_profile = \"local\"\n[profiles.local]\nenvironment = \"{base_url}\"\napi_key = \"{DEMO_API_KEY}\"\nsecret_file = \"{}\"\n",
            secret.display()
        ),
    )
    .unwrap();
    dir
}

#[test]
fn config_shows_what_is_used_and_never_a_secret() {
    let running = Running::demo();
    let dir = profile_dir("show", &running.url());
    let out = run(mbx()
        .env("MBX_CONFIG", dir.join("config.toml"))
        .args(["config", "--json"]));
    assert_eq!(out.code, 0, "{out:?}");
    let config: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(config["environment"], running.url());
    assert_eq!(config["apiKeyFrom"], "profile `local`");
    assert_eq!(config["apiKey"], "mbxS…");
    assert!(config["secret"].as_str().unwrap().contains("redacted"));
    assert!(!out.stdout.contains(DEMO_API_SECRET) && !out.stdout.contains(DEMO_API_KEY));

    // The default profile is enough to run a command against it.
    let balances = run(mbx()
        .env("MBX_CONFIG", dir.join("config.toml"))
        .args(["balances"]));
    assert_eq!(balances.code, 0, "{balances:?}");
    assert!(balances.stdout.contains("BTC"));
}

#[test]
fn a_key_in_the_environment_and_in_the_profile_says_which_is_used() {
    let running = Running::demo();
    let dir = profile_dir("both", &running.url());
    let out = run(mbx()
        .env("MBX_CONFIG", dir.join("config.toml"))
        .env("BINANCE_API_KEY", DEMO_API_KEY)
        .env("BINANCE_API_SECRET", DEMO_API_SECRET)
        .args(["balances"]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains(
            "note: default profile `local` also holds an API key; using the one from `BINANCE_API_KEY`"
        ),
        "{}",
        out.stderr
    );
}

#[cfg(unix)]
#[test]
fn config_init_writes_a_private_template_once() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = std::env::temp_dir().join(format!("mbx-config-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("mbx").join("config.toml");
    let out = run(mbx().env("MBX_CONFIG", &path).args(["config", "init"]));
    assert_eq!(out.code, 0, "{out:?}");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("[profiles.testnet]")
    );
    let again = run(mbx().env("MBX_CONFIG", &path).args(["config", "init"]));
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}
