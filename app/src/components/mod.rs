pub mod admin_tabs;
pub mod empty_state;
pub mod forms;
pub mod guard;
pub mod integration_card;
pub mod layout;
pub mod system_status;
pub mod theme;
