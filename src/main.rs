//! The `huiqi` binary: a thin shell over the library in `src/lib.rs`.

fn main() -> std::process::ExitCode {
    huiqi::cli::main()
}
