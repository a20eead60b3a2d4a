"""What a worker reads back when they send a photo to the WeCom app (handlers.media.sent_photos)."""

ATTACHED = "照片已记入诉求 {number} 的办理进展。"
NO_CASE = "照片未保存：您当前没有正在办理（已签收、未办结）的诉求。请先签收诉求，再发送现场照片。"
NOT_FETCHED = "照片未能从企业微信取回，请重新发送。"
NOT_A_PHOTO = "照片未保存：只能发送 JPEG、PNG 或 WebP 格式、且不过大的照片。"
NOT_ATTACHED = "照片未能记入诉求 {number}：{reason}"
