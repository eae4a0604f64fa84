"""The people of the office: organisation and roles, accounts, sessions, the access audit."""
