from rest_framework import serializers

from exchange.api_support import StrictInputSerializer
from search.models import SavedSearch


class SavedSearchOutputSerializer(serializers.ModelSerializer[SavedSearch]):
    class Meta:
        model = SavedSearch
        fields = ["id", "name", "query_string", "email_digest", "last_sent_at", "created_at"]
        read_only_fields = fields


class SavedSearchCreateSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    query_string = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        help_text="As in the search page's URL: q=water&country=KEN",
    )
    email_digest = serializers.BooleanField(required=False, default=True)
