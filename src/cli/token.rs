//! `relay-explorer token`: a token for the chosen credential, or its claims.

use anyhow::{Result, anyhow};
use clap::Args;

use super::account::CredentialArgs;

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The scope, e.g. https://management.azure.com/.default or https://relay.azure.net/.default.
    #[arg(long, value_name = "SCOPE")]
    pub scope: String,
    /// Print the token's claims (JSON) instead of the token.
    #[arg(long)]
    pub decode: bool,
    #[command(flatten)]
    pub credentials: CredentialArgs,
}

pub fn run(args: TokenArgs) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let token = runtime.block_on(async {
        let session = args.credentials.session()?;
        session
            .credential
            .get_token(&[args.scope.as_str()], None)
            .await
            .map_err(|e| anyhow::Error::new(crate::auth::TokenError::new(&args.scope, &e)))
    })?;
    let secret = token.token.secret();
    if args.decode {
        let claims = crate::auth::jwt::unverified_claims(secret)
            .ok_or_else(|| anyhow!("the token is not a JWT, so it has no claims to show"))?;
        println!("{}", serde_json::to_string_pretty(&claims)?);
    } else {
        println!("{secret}");
    }
    Ok(())
}
