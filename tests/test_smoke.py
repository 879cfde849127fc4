async def test_register_login_me(client, alice):
    response = await client.get("/api/v1/me", headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.org"
