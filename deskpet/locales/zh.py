"""Simplified Chinese (简体中文)."""

MESSAGES = {
    # Permission cards
    "{speaker} wants to run": "{speaker} 想要运行",
    "{speaker} wants to edit": "{speaker} 想要修改",
    "{speaker} wants to reach": "{speaker} 想要访问",
    "{speaker} wants to use": "{speaker} 想要使用",
    "{speaker} asks you": "{speaker} 问你",
    "{speaker} asks permission for": "{speaker} 请求权限",
    "a tool": "一个工具",
    "Allow": "允许",
    "Deny": "拒绝",
    "Go to terminal": "前往终端",
    "{count} more waiting": "还有 {count} 个在等待",
    # Sessions list
    "No agent sessions right now": "现在没有智能体会话",
    "needs you": "需要你",
    "error": "出错",
    "working": "工作中",
    "thinking": "思考中",
    "done": "完成",
    "idle": "空闲",
    "{n} s": "{n} 秒",
    "{n} min": "{n} 分钟",
    "{h} h {m} min": "{h} 小时 {m} 分钟",
    "{n} h": "{n} 小时",
    "+ {count} more": "+ 另外 {count} 个",
    "{state}: {tool}": "{state}：{tool}",
    # First run
    "{why}. Resume it above: the bytes already here are kept.": "{why}。可在上方继续下载：已下载的部分会保留。",
    "{why}. Try the download again.": "{why}。请重新下载。",
    "{why}, then resume it above.": "{why}，然后在上方继续下载。",
    "{why}. Try again later, or choose another model above.": "{why}。请稍后再试，或在上方选择其他模型。",
    "Downloading {model}…": "正在下载 {model}…",
    "Loading {model}…": "正在加载 {model}…",
    "{pet} is waking up…": "{pet} 正在醒来…",
    "Your pet": "你的宠物",
    "Waking up with {model}…": "正在用 {model} 唤醒…",
    "the model server at {url}": "{url} 上的模型服务器",
    "Downloading {model}: {percent}%": "正在下载 {model}：{percent}%",
    "The download stopped: {why}": "下载已停止：{why}",
    "Choose a model to wake your pet up": "选择一个模型来唤醒你的宠物",
    "Warming up…": "正在预热…",
    "deskpet could not load that model: {why}": "deskpet 无法加载该模型：{why}",
    # Chat
    "Hello! I'm awake. Double-click me to chat.": "你好！我醒啦。双击我就能聊天。",
    # Settings
    "System language": "跟随系统",
    # Persona voices (adapters per base model)
    "voice: prompt only with this model": "声音：此模型下只有提示词",
    "voice: adapter from {repo}": "声音：来自 {repo} 的适配器",
    "voice: adapter {name}": "声音：适配器 {name}",
    "voice: downloading": "声音：下载中",
    "voice: downloading {percent}%": "声音：下载中 {percent}%",
    "voice: prompt only (its adapter was refused; see the log)": "声音：只有提示词（适配器被拒绝，详见日志）",
    "{persona}'s voice ({size}) is downloading; until then it speaks with its prompt.": (
        "{persona} 的声音（{size}）正在下载；在此之前它用提示词说话。"
    ),
    "{persona}'s voice ({size}, {left} left) is downloading; until then it speaks "
    "with its prompt.": "{persona} 的声音（{size}，还剩 {left}）正在下载；在此之前它用提示词说话。",
    "{persona}'s voice: {percent}% of {size}": "{persona} 的声音：{size} 的 {percent}%",
    "{persona} now speaks with its own voice.": "{persona} 现在用自己的声音说话了。",
    "{persona}'s voice did not download ({why}); it speaks with its prompt.": (
        "{persona} 的声音没有下载成功（{why}）；它用提示词说话。"
    ),
    "{persona}'s voice download stopped; it resumes when you choose {persona} again.": (
        "{persona} 的声音下载已停止；再次选择 {persona} 时会继续。"
    ),
    "Stop downloading {persona}'s voice": "停止下载 {persona} 的声音",
    "Stop downloading {persona}'s voice ({percent}%)": "停止下载 {persona} 的声音（{percent}%）",
}
