//! The `amlscreen` binary: parses the command line and hands over to the library.

mod cli;

/// A run allocates and frees many column-sized buffers. The system allocator returns each to
/// the kernel, and every new one is page-faulted in again, which costs as much as the work
/// itself on virtual machines (see BENCHMARKS.md). mimalloc, told never to purge, reuses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in the C header of libmimalloc-sys 0.1.49 (mimalloc v3), pinned in
/// Cargo.toml: the crate names no constant for it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory for reuse for the life of the process (a batch run: the peak is the
/// same), and turns transparent huge pages off: with them, a 10M-row run spent most of its
/// time in the kernel on this project's machines (see BENCHMARKS.md).
fn tune_memory() {
    // SAFETY: setting a mimalloc option is thread-safe and valid at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and only sets a flag of this process;
    // if the kernel refuses, the run is slower, not wrong.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(
            libc::PR_SET_THP_DISABLE,
            1 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        );
    }
}

fn main() {
    tune_memory();
    std::process::exit(cli::main_with(std::env::args_os().collect()));
}
