//! One line for an error and its causes, for people. A bottom module: every layer may use it.

/// An error and its causes, each once, on one line (the first line of each message).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        let line = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_string();
        if !line.is_empty() && !parts.iter().any(|p| p.contains(&line)) {
            parts.push(line);
        }
        current = err.source();
    }
    // The innermost cause says what went wrong; generic wrappers come first.
    parts.retain(|p| !p.contains("non-transport error occurred"));
    let joined = parts.join(": ");
    // Entra's own sentence (AADSTS…), without its trace ids and JSON escapes.
    match joined.find("AADSTS") {
        Some(i) => {
            let rest = &joined[i..];
            let end = ["\\r\\n", "\\n", "\r\n", "\"", "\r", "\n"]
                .iter()
                .filter_map(|m| rest.find(m))
                .min()
                .unwrap_or(rest.len());
            rest[..end].trim().to_string()
        }
        None => joined,
    }
}
