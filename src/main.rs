fn main() {
    std::process::exit(git_epic::cli::main());
}
