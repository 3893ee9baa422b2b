fn main() {
    std::process::exit(relay_explorer::cli::run());
}
