// The confirm step of a photo (issue 19): on a narrow screen, one step of the form at a
// time (Back / Next, "Step 2 of 4"); on a wide one every step beside the photo. Without
// this script every step shows, one under the other, and the form works the same.
(() => {
  const form = document.querySelector("[data-wizard]");
  if (!form) return;
  const steps = [...form.querySelectorAll("[data-step]")];
  const back = form.querySelector("[data-back]");
  const next = form.querySelector("[data-next]");
  const save = form.querySelector("[data-save]");
  const count = form.querySelector("[data-step-count]");
  const narrow = window.matchMedia("(max-width: 959px)");
  // Start where the first error is, when the form came back with one.
  const firstError = steps.findIndex((step) => step.querySelector("[aria-invalid='true']"));
  let current = firstError >= 0 ? firstError : 0;

  function show() {
    const wizard = narrow.matches && steps.length > 1;
    form.classList.toggle("is-wizard", wizard);
    steps.forEach((step, index) => { step.hidden = wizard && index !== current; });
    back.hidden = !wizard || current === 0;
    next.hidden = !wizard || current === steps.length - 1;
    save.hidden = wizard && current !== steps.length - 1;
    count.hidden = !wizard;
    count.textContent = wizard ? `Step ${current + 1} of ${steps.length}` : "";
  }

  function go(step) {
    current = Math.max(0, Math.min(steps.length - 1, step));
    show();
    const focusable = steps[current].querySelector("input, summary, button");
    if (focusable) focusable.focus({ preventScroll: true });
    // At once, not smoothly: a scroll still moving would move the Next button under a
    // second tap and the tap would miss it.
    if (form.getBoundingClientRect().top < 0) form.scrollIntoView({ block: "start" });
  }

  back.addEventListener("click", () => go(current - 1));
  next.addEventListener("click", () => {
    const invalid = [...steps[current].querySelectorAll("input")].find((input) => !input.checkValidity());
    if (invalid) { invalid.reportValidity(); return; }
    go(current + 1);
  });
  // Enter in a field moves on rather than saving half-checked values.
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && form.classList.contains("is-wizard") && event.target.tagName === "INPUT"
        && current < steps.length - 1) {
      event.preventDefault();
      next.click();
    }
  });
  narrow.addEventListener("change", show);
  show();
})();
