from django.urls import path

from engagements.views import review

urlpatterns = [
    path("", review.review, name="review"),
    path("<str:week>/", review.review, name="review-week"),
    path("<str:week>/clients/<int:client_id>/", review.save_entry, name="review-entry"),
    path("<str:week>/complete/", review.complete, name="review-complete"),
]
