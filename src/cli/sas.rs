//! `relay-explorer sas`: mint a SAS token from a connection string, or explain one.

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use serde_json::json;

use crate::relay::protocol::connection_string::Credential;
use crate::relay::protocol::{ConnectionString, SasToken, sas};

#[derive(Debug, Args)]
pub struct SasArgs {
    /// The entity (hybrid connection or WCF relay) the token is for, when the connection string has no EntityPath.
    #[arg(long, value_name = "NAME")]
    pub entity: Option<String>,
    /// How long the token lives: 90s, 15m, 1h, 7d, or plain seconds.
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub ttl: String,
    /// Explain a token instead of minting one (with --connection-string, also check its signature).
    #[arg(long, value_name = "TOKEN")]
    pub decode: Option<String>,
    /// With --decode: print one JSON object.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub credentials: super::account::CredentialArgs,
}

/// Parses `90s`, `15m`, `1h`, `7d` or plain seconds.
pub fn parse_duration(text: &str) -> Result<i64> {
    let t = text.trim();
    let (number, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = number
        .parse()
        .map_err(|_| anyhow!("--ttl '{text}' is not a duration: use e.g. 30s, 15m, 1h or 7d"))?;
    let per_unit = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => bail!("--ttl '{text}' has an unknown unit '{unit}': use s, m, h or d"),
    };
    // An overflowing product is too long, not a wrapped-around short one.
    let seconds = n.checked_mul(per_unit).unwrap_or(i64::MAX);
    if seconds <= 0 || seconds > 365 * 86400 {
        bail!("--ttl '{text}' must be between 1 second and 365 days");
    }
    Ok(seconds)
}

pub fn run(args: SasArgs) -> Result<()> {
    let connection = args
        .credentials
        .connection_string
        .as_deref()
        .map(|cs| ConnectionString::parse(cs).context("--connection-string is not valid"))
        .transpose()?;
    if let Some(token) = &args.decode {
        return decode(token, connection.as_ref(), args.json);
    }
    let Some(cs) = connection else {
        bail!("give --connection-string CS to mint a token, or --decode TOKEN to explain one");
    };
    let ttl = parse_duration(&args.ttl)?;
    let Credential::Key { name, key } = &cs.credential else {
        bail!(
            "the connection string carries no SharedAccessKey to sign with (it has {}); use a connection string from a SAS rule's keys",
            match cs.credential {
                Credential::Signature(_) => "a ready-made SharedAccessSignature",
                _ => "Authentication=Managed Identity",
            }
        );
    };
    if let (Some(given), Some(path)) = (&args.entity, &cs.entity_path)
        && !given.eq_ignore_ascii_case(path)
    {
        bail!(
            "--entity '{given}' differs from the connection string's EntityPath '{path}': drop one of them"
        );
    }
    let expiry = chrono::Utc::now().timestamp() + ttl;
    println!(
        "{}",
        sas::mint(&cs.resource_uri(args.entity.as_deref()), name, key, expiry)
    );
    Ok(())
}

fn describe_expiry(expiry: i64, now: i64) -> String {
    let when = chrono::DateTime::from_timestamp(expiry, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| expiry.to_string());
    let span = |s: i64| match s {
        s if s < 120 => format!("{s} seconds"),
        s if s < 7200 => format!("{} minutes", s / 60),
        s if s < 172_800 => format!("{} hours", s / 3600),
        s => format!("{} days", s / 86400),
    };
    if expiry <= now {
        format!("{when} (expired {} ago)", span(now - expiry))
    } else {
        format!("{when} (in {})", span(expiry - now))
    }
}

fn decode(token: &str, connection: Option<&ConnectionString>, as_json: bool) -> Result<()> {
    let t = SasToken::parse(token).context("--decode is not a SAS token")?;
    let now = chrono::Utc::now().timestamp();
    let signature = connection.map(|cs| match &cs.credential {
        Credential::Key { name, key } if name == &t.key_name => t.signed_with(key),
        _ => false,
    });
    if as_json {
        println!(
            "{}",
            json!({
                "resource": t.resource,
                "key_name": t.key_name,
                "expires_unix": t.expiry,
                "expires_at": chrono::DateTime::from_timestamp(t.expiry, 0).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                "expired": t.is_expired_at(now),
                "signature_valid": signature,
            })
        );
        return Ok(());
    }
    println!("resource:   {}", t.resource);
    println!("key name:   {}", t.key_name);
    println!("expires:    {}", describe_expiry(t.expiry, now));
    match signature {
        None => println!(
            "signature:  not checked (give --connection-string with the rule's key to check it)"
        ),
        Some(true) => println!("signature:  valid for key '{}'", t.key_name),
        Some(false) => {
            println!("signature:  does NOT match the key given (wrong key, or a regenerated one)")
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), 90);
        assert_eq!(parse_duration("15m").unwrap(), 900);
        assert_eq!(parse_duration("1h").unwrap(), 3600);
        assert_eq!(parse_duration("7d").unwrap(), 604_800);
        for bad in ["", "h", "5x", "0", "-5m", "400d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        // Too long is too long, never wrapped around into a short one.
        for huge in [
            "48251900007619892d",
            "106751991167300d",
            "9223372036854775807h",
        ] {
            let e = parse_duration(huge).unwrap_err().to_string();
            assert!(e.contains("between 1 second and 365 days"), "{huge}: {e}");
        }
    }

    #[test]
    fn expiry_is_told_in_words() {
        assert_eq!(
            describe_expiry(1_700_000_000, 1_700_000_000 + 3 * 3600),
            "2023-11-14T22:13:20Z (expired 3 hours ago)"
        );
        assert!(describe_expiry(1_700_000_000, 1_699_999_000).ends_with("(in 16 minutes)"));
    }
}
