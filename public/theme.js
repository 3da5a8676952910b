// Applies the colour theme chosen with the header toggle before the first
// paint, so a dark-mode page never flashes white. Without a stored choice the
// CSS follows the system preference.
(function () {
  try {
    var theme = localStorage.getItem("hub-theme");
    if (theme === "light" || theme === "dark") {
      document.documentElement.setAttribute("data-theme", theme);
    }
  } catch (e) {
    /* storage blocked: follow the system */
  }
})();
