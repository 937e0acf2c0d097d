"""Every page says what the browser may run and use: a Content-Security-Policy without inline
script, inline style or eval, and a Permissions-Policy."""

import pytest


@pytest.mark.parametrize("path", ["/", "/clients/", "/accounts/login/"])
def test_pages_carry_a_strict_content_security_policy_and_a_permissions_policy(web, path):
    response = web.get(path)
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"].startswith("'self'")
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "clipboard-write=(self)" in response["Permissions-Policy"]
