pub mod empty_state;
pub mod layout;
pub mod system_status;
pub mod theme;
