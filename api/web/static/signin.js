"use strict";
(function () {
  const form = document.getElementById("signin-form");
  const error = document.getElementById("signin-error");
  const params = new URLSearchParams(window.location.search);
  if (params.get("signed_out")) error.textContent = params.get("signed_out");
  if (sessionStorage.getItem(PP.KEY) && !params.get("signed_out")) window.location.href = "/overview";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const value = document.getElementById("api-key").value.trim();
    sessionStorage.setItem(PP.KEY, value);
    sessionStorage.removeItem(PP.ROLE);
    try {
      const role = await PP.detectRole();
      sessionStorage.setItem(PP.ROLE, role);
      window.location.href = "/overview";
    } catch (e) {
      sessionStorage.removeItem(PP.KEY);
      error.textContent = "Sign-in failed: " + e.message;
      document.getElementById("api-key").focus();
    }
  });
})();
