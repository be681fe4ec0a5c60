//! Choices remembered across visits in `localStorage` (theme, notes size). A blocked or full
//! storage only means the choice is not remembered.

/// Keys are prefixed so other apps on the same origin cannot collide with ours.
fn full_key(key: &str) -> String {
    format!("serverless-deck:{key}")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn get(key: &str) -> Option<String> {
    storage()?.get_item(&full_key(key)).ok().flatten()
}

pub fn set(key: &str, value: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(&full_key(key), value);
    }
}

/// True when a `storage` event (another window changed a choice) is about `key`.
pub fn is_about(event: &web_sys::StorageEvent, key: &str) -> bool {
    event.key().as_deref() == Some(full_key(key).as_str())
}
