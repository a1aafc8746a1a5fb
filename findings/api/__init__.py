"""The findings API: findings/, findings/{id}/, summary/."""
