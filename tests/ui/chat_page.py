"""Driving the web chat in a real browser (Playwright), for the browser tests here and through nginx."""


def ask_in_page(page, question: str):
    """Send a question and return the locator of the finished answer (its closing meta line has arrived)."""
    done = page.locator("#chatbot .answer-meta").count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(f"document.querySelectorAll('#chatbot .answer-meta').length > {done}")
    return page.locator("#chatbot [data-testid='bot']").last
