//! The device-code flow (RFC 8628) as Entra runs it: the grant that polls for a sign-in, and the
//! `/devicelogin` page where a person enters the code and signs in.

use super::*;

pub(super) fn device_code_grant(
    shared: &Shared,
    tid: &str,
    form: &HashMap<String, String>,
) -> Response {
    let Some(code) = form.get("device_code").or_else(|| form.get("code")) else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'device_code'.",
        );
    };
    let mut codes = shared.device_codes.lock();
    let Some(entry) = codes.get_mut(code) else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70018,
            "Invalid verification code. The device code is unknown or was already used.",
        );
    };
    if form
        .get("client_id")
        .is_some_and(|c| !c.eq_ignore_ascii_case(&entry.client_id))
    {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70018,
            "Invalid verification code: it was issued to another client.",
        );
    }
    if chrono::Utc::now().timestamp() > entry.expires_at {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "expired_token",
            70019,
            "Verification code expired.",
        );
    }
    let now = std::time::Instant::now();
    let too_fast = entry.last_poll.is_some_and(|last| {
        // a little tolerance for clients that sleep exactly the interval
        now.duration_since(last).as_millis() * 5 < u128::from(entry.interval) * 1000 * 4
    });
    entry.last_poll = Some(now);
    match entry.state.clone() {
        DeviceCodeState::Pending if too_fast => {
            entry.interval += 5;
            aad_error(
                StatusCode::BAD_REQUEST,
                "slow_down",
                70016,
                "OAuth 2.0 device flow error. Polling too fast: wait at least the interval between polls.",
            )
        }
        DeviceCodeState::Pending => aad_error(
            StatusCode::BAD_REQUEST,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        ),
        DeviceCodeState::Declined => {
            codes.remove(code);
            aad_error(
                StatusCode::BAD_REQUEST,
                "access_denied",
                70000,
                "The user declined the sign-in request.",
            )
        }
        DeviceCodeState::Approved { user_object_id } => {
            let entry = codes.remove(code).expect("entry exists");
            drop(codes);
            let principal = {
                let world = shared.world.lock();
                user_principal(&world, &user_object_id, &entry.client_id)
            };
            let Some(principal) = principal else {
                return aad_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    50034,
                    "The user account does not exist in the directory.",
                );
            };
            let (resource, scope) = match resource_of(shared, &entry.scope) {
                Ok(r) => r,
                Err(r) => return r,
            };
            let refresh = entry
                .scope
                .split_whitespace()
                .any(|s| s.eq_ignore_ascii_case("offline_access"));
            let id_token = entry
                .scope
                .split_whitespace()
                .any(|s| s.eq_ignore_ascii_case("openid"));
            issue(
                shared, tid, &principal, &resource, &scope, refresh, id_token,
            )
        }
    }
}

pub(super) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}}\
         label{{display:block;margin-top:1rem}}input{{width:100%;padding:.4rem;font-size:1rem}}\
         button{{margin-top:1.2rem;padding:.5rem 1rem;font-size:1rem}}.error{{color:#b00020}}</style>\
         </head><body><h1>{title}</h1>{body}</body></html>"
    )
}

pub(super) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub(super) fn login_form(error: Option<&str>, user_code: &str, username: &str) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    page(
        "Sign in to the Relay Explorer emulator",
        &format!(
            "<p>Enter the code shown by your application, then sign in with a user of the emulated tenant.</p>{error}\
             <form method=\"post\" action=\"/devicelogin\">\
             <label for=\"user_code\">Code</label><input id=\"user_code\" name=\"user_code\" value=\"{}\" autocomplete=\"off\" required>\
             <label for=\"username\">Username</label><input id=\"username\" name=\"username\" value=\"{}\" autocomplete=\"username\">\
             <label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\">\
             <button type=\"submit\" name=\"action\" value=\"approve\">Sign in</button> \
             <button type=\"submit\" name=\"action\" value=\"deny\">Cancel sign-in</button>\
             </form>",
            escape(user_code),
            escape(username)
        ),
    )
}

pub(super) async fn device_login_page() -> Html<String> {
    Html(login_form(None, "", ""))
}

pub(super) async fn device_login_submit(
    State(shared): State<Arc<Shared>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let (user_code, username, password) = (
        field("user_code"),
        field("username"),
        form.get("password").cloned().unwrap_or_default(),
    );
    let normalized: String = user_code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    let now = chrono::Utc::now().timestamp();
    let mut codes = shared.device_codes.lock();
    let entry = codes.values_mut().find(|d| {
        d.user_code == normalized && d.state == DeviceCodeState::Pending && d.expires_at >= now
    });
    let Some(entry) = entry else {
        return (
            StatusCode::BAD_REQUEST,
            Html(login_form(Some("That code didn't work. Check the code and try again: it may have expired or been used already."), &user_code, &username)),
        )
            .into_response();
    };
    if field("action") == "deny" {
        entry.state = DeviceCodeState::Declined;
        return Html(page("Sign-in cancelled", "<p>You cancelled the sign-in. The application will be told, and you may close this window.</p>")).into_response();
    }
    let world = shared.world.lock();
    let user = world
        .user_by_name(&username)
        .filter(|u| constant_time_eq(&u.password, &password));
    let Some(user) = user else {
        return (
            StatusCode::UNAUTHORIZED,
            Html(login_form(
                Some("Your account or password is incorrect."),
                &user_code,
                &username,
            )),
        )
            .into_response();
    };
    entry.state = DeviceCodeState::Approved {
        user_object_id: user.object_id.clone(),
    };
    let app = world
        .application(&entry.client_id)
        .map(|a| a.display_name.clone())
        .unwrap_or_default();
    Html(page(
        "You are signed in",
        &format!(
            "<p>{} signed in to <strong>{}</strong> on your device. You may now close this window.</p>",
            escape(&user.display_name),
            escape(&app)
        ),
    ))
    .into_response()
}
