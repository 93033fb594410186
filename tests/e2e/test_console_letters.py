"""Letters in the console shown as their readers see them: styled, in a sandboxed frame of their
own, with nothing of their markup parsed into the console's page and none of it able to run."""

import uuid

import pytest
from localstack.browser import sign_in_with, token_for

pytestmark = pytest.mark.e2e


def test_a_templates_preview_is_the_styled_letter_in_a_frame_where_no_script_runs(page):
    from playwright.sync_api import expect

    sign_in_with(page, token_for(str(uuid.uuid4()), "owner"), "#/settings/templates/payment_link/en")
    expect(page.locator("#template-state")).to_contain_text("standard wording")
    letter = page.frame_locator("#template-preview-letter")
    # The standard letter's inline styles apply inside the frame (its body's background).
    expect(letter.locator("body")).to_have_css("background-color", "rgb(244, 244, 246)")
    expect(letter.locator("a").first).to_be_visible()

    page.fill("#template-subject", "Your payment link")
    page.fill("#template-html", "<p style=\"color: rgb(200, 0, 0)\">Hello <b>there</b></p>"
                                "<script>document.body.dataset.ran = 'yes'; parent.document.title = 'taken'</script>")
    page.fill("#template-text", "Hello there")
    page.click("#template-save")
    expect(page.locator("#template-notice")).to_have_text("Saved.")
    letter = page.frame_locator("#template-preview-letter")
    expect(letter.locator("p")).to_have_css("color", "rgb(200, 0, 0)")
    expect(letter.locator("b")).to_have_text("there")
    # The letter's script never ran, in the frame or in the page; the page parsed none of it.
    expect(letter.locator("body")).not_to_have_attribute("data-ran", "yes")
    assert page.title() == "Orders CRM"
    expect(page.locator("#template-preview-html b")).to_have_count(0)
    expect(page.locator("#template-preview-html")).to_contain_text("<b>there</b>")


def test_the_letter_frame_is_refused_to_anything_but_the_consoles_own_frames(page, stack):
    """The gateway shows posted markup only to a frame of the console: a page of the console
    submitting the form at the top level, as another site would, is refused."""
    from playwright.sync_api import expect

    page.goto(f"{stack['gateway']}/console/")
    page.evaluate("""() => {
        const form = document.createElement('form');
        form.method = 'post'; form.action = '/console/letter';
        const field = document.createElement('textarea');
        field.name = 'html'; field.value = '<h1>Sign in again</h1>';
        form.append(field); document.body.append(form); form.submit();
    }""")
    expect(page.locator("body")).to_contain_text("only in a frame of the console")
    expect(page.locator("h1")).to_have_count(0)


def test_the_preview_follows_the_wording_as_it_is_typed_and_nothing_is_saved_until_save(page, stack):
    from playwright.sync_api import expect

    school = str(uuid.uuid4())
    sign_in_with(page, token_for(school, "owner"), "#/settings/templates/payment_link/en")
    expect(page.locator("#template-state")).to_contain_text("standard wording")
    page.fill("#template-subject", "Pay {{ school_name }} for №{{ order_number }}")
    page.fill("#template-html", "<h2 style=\"color: rgb(0, 90, 0)\">Hi {{ contact_name }}</h2>")
    page.fill("#template-text", "Hi {{ contact_name }}")
    expect(page.locator("#template-preview-state")).to_contain_text("not saved yet")
    expect(page.locator("#template-preview-subject")).to_contain_text("for №")
    letter = page.frame_locator("#template-preview-letter")
    expect(letter.locator("h2")).to_have_css("color", "rgb(0, 90, 0)")
    expect(page.locator("#template-preview-text")).to_contain_text("Hi ")
    # A value the template does not have: said on its part while typing, before any save.
    page.fill("#template-subject", "Pay {{ manager_name }}")
    expect(page.locator("#template-subject-error")).to_be_visible()
    expect(page.locator("#template-preview-state")).to_contain_text("does not render yet")
    page.fill("#template-subject", "Pay now")
    expect(page.locator("#template-subject-error")).to_be_hidden()
    expect(page.locator("#template-preview-subject")).to_have_text("Pay now")
    # Nothing of it was stored: a reload shows the standard wording again.
    page.reload()
    expect(page.locator("#template-state")).to_contain_text("standard wording")
    expect(page.locator("#template-subject")).to_have_value("")


def test_a_viewer_sees_the_preview_but_it_does_not_follow_anything(page, stack):
    from playwright.sync_api import expect

    sign_in_with(page, token_for(stack["account_id"], "viewer"), "#/settings/templates/receipt/en")
    expect(page.locator("#template-subject")).to_be_disabled()
    expect(page.frame_locator("#template-preview-letter").locator("body")).to_have_css(
        "background-color", "rgb(244, 244, 246)")
