"""walkbot's core: the school's agreement as code, with no framework or storage in it."""
