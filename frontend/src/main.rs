//! Entry point: installs the panic hook (panics go to the browser console) and mounts the app.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(frontend::app::App);
}
