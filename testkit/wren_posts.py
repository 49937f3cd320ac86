"""Posts of Wren Calloway (@wrencalloway), a FICTIONAL lighthouse keeper, for the sample archive.

Wren keeps the light on Skerrow, a windy island reached by a ferry that comes when it feels
like it. She watches the sky, bakes bread, fixes old radios and loses arguments with seagulls.
Every person, handle and link here is invented.

`POSTS` holds them newest first, as an X archive lists them; in the text below posts are
separated by a line holding only `%` (the `fortune` file format), so posts may span lines.
"""

from __future__ import annotations

_TEXT = """\
Storm finally blew itself out around 4am. The light never blinked once. I blinked plenty.
%
Jupiter and the Moon sitting close tonight, like two old friends who ran out of things to say but don't want to leave yet.
%
The Admiral stole an entire crust off the windowsill while making direct eye contact. No shame. No fear. I respect it and I hate it.
%
RT @deepskyjune: Reminder that the Lyrids peak this week. Go outside, lie down, let your eyes adjust for 20 minutes. No app required, just patience.
%
@marisol_tides the ferry captain says Thursday. The ferry captain also said Tuesday. I'm keeping a tin of biscuits by the door just in case.
%
🌊🌊🌊
%
Found a 1948 valve radio at the back of the coal shed. Smells like mice and history. It will talk again, I promise it.
%
Bread status: the starter has opinions today. It rose, thought better of it, and sat back down like a cat that changed its mind about the sofa.
%
Fog so thick this morning I could hear the horn better than I could see my own boots. Logged visibility as "rude".
%
https://t.co/Wr3nFg01
%
Reading the old keepers' logbooks again. 1911: "Gale. Lamp fine. Mrs Hale's goat on roof again." Some things about this island never change.
%
The lens is clean, the brass is polished, the kettle is on. Everything a person needs is on this list.
%
RT @skerrow_ferry: Due to high winds, today's 10:40 sailing is cancelled. Tomorrow's sailing is also looking doubtful. Sorry Wren.
%
Of course it is.
%
Saturn rising over the east cliff at 3am, rings tilted just enough to look smug about it. #astronomy
%
@ham_pete got a faint signal out of the old Marconi last night! Mostly static and one very confident man reading shipping forecasts in Norwegian.
%
Tried to explain to a visitor that the lighthouse is not "basically a big torch". She asked if it takes batteries. We are no longer speaking.
%
Gulls 3, Wren 0. They took the sandwich, the crust, and my last shred of dignity.
%
A good loaf takes about twenty hours and one quiet minute at the end where you tap the bottom and it sounds hollow and you feel like a genius.
%
RT @birdsofskerrow: Puffins are back on the north stack! First confirmed sighting of the season this morning, 6:12am. Count them if you see them.
%
Counted eleven puffins. They counted me back, I'm fairly sure.
%
@deepskyjune clear all night here. Saw four Lyrids and one extremely bright one that made me say "oh!" out loud to nobody.
%
Wind speed this afternoon: enough to make the kettle whistle without being on. Probably.
%
Clear skies, no moon, no ferry, no visitors. Just me, a flask of tea and the Andromeda Galaxy being two and a half million light years of none of my business.
%
New radio valve arrived by post. The post arrived by ferry. The ferry arrived by a miracle. #islandlife
%
Someone on the mainland asked what I do all day. Today: scraped salt off glass, fixed a hinge, kneaded dough, argued with a bird, watched Orion set. Busy.
%
The light turns every ten seconds. I've been timing my breathing to it. Strangely calming. Don't recommend it while driving.
%
@sourdough_sal I gave the starter a name and now it sulks when I forget to feed it. Her name is Brenda. Brenda is 4 years old and has never once been on time.
%
lol
%
Whoever designed the spiral staircase in this tower never carried a bag of flour up 112 steps. I count them every time. I curse them every time.
%
RT @islandmeteo: Gale warning for the outer isles tonight. Gusts of 70mph possible on exposed coasts. Secure loose objects.
%
Secured loose objects. The Admiral is not a loose object, he is a menace, and he refused to be secured.
%
First batch of rye came out like a brick you could build a second lighthouse with. Back to the drawing board, or in this case, the flour bin.
%
There's a particular sound the horn makes in very cold fog, a bit lower, a bit sadder. Like a cow who just heard bad news.
%
#nofilter https://t.co/m00nR1s3
%
The Moon tonight, rising out of the sea orange as a tangerine. Nobody else saw it. That's fine. I saw it enough for everyone.
%
@marisol_tides yes I still have your cake tin. No I will not be returning it empty. That would be a crime.
%
Replaced the drive belt on the lens rotation. The old one was from 1987 and frankly had earned its retirement more than most people I know.
%
Today I learned that a 1930s wireless set will happily pick up the BBC, a fishing boat, and what I swear was a man singing to his dog.
%
Orion's belt is three stars in a row, unless you're a gull, in which case it's three things you can't eat and therefore don't care about.
%
RT @ham_pete: If you've got an old valve set in the loft, don't just plug it in! Old capacitors can fail spectacularly. Replace them first. Ask me how I know.
%
@ham_pete how do you know
%
Recipe for a Skerrow morning: two slices of yesterday's bread, toasted on the stove, butter, marmalade, a wind that tries to take the plate off you.
%
Ferry's here!!
%
Ferry's gone again. Forgot to post the letters. Story of my life.
%
The logbook asks for "weather conditions" and some days I want to write "moody" and leave it at that.
%
Something nobody tells you about living alone on an island: you start narrating everything. "And now, she opens the tin of beans." Riveting stuff.
%
@skerrow_ferry no hard feelings. The sea is the boss, we all just work here.
%
Mars is looking very red and very far away tonight, which, to be fair, it always is.
%
If you've never watched a storm roll in from the top of a lighthouse, imagine the whole sky pulling on a grey jumper, very slowly, while glaring at you.
%
The lamp room smells like paraffin, old brass and the biscuit I dropped in 2019 that I still can't find.
%
RT @deepskyjune: Tonight's sky: Venus in the west after sunset, bright enough that people will call the police about it. It is not a UFO. It is Venus.
%
@deepskyjune someone on the ferry asked me last spring if Venus was a "government light". Told them it was my light, winking at them. They believed me.
%
Kneaded dough for fifteen minutes while listening to the shipping forecast. Cromarty, Forth, Tyne, Dogger. I feel like I've said a prayer.
%
The Admiral has brought friends. There are now four gulls on the rail staring at the kitchen window like a very judgemental jury.
%
Tried feeding the gulls elsewhere so they'd leave my window alone. They now expect both. I have created a two-restaurant gull economy.
%
🍞
%
A small win: the horn compressor started on the first try today. A bigger win: it didn't make the noise like a piano falling down stairs.
%
Sunset at 9:47pm. The light comes on at 9:49. In between there's two minutes where the whole island goes gold and quiet and I just stand there.
%
@sourdough_sal Brenda has doubled overnight! Sal I think she's finally respecting me.
%
Got my first proper look at the Pleiades through the new eyepiece. Seven sisters, they say. I counted nine. Overachievers.
%
https://t.co/Gu11Thf3
%
The mainland council wants to "modernise" the lighthouse. I've been told this means a sensor and a spreadsheet. The sensor will not bake bread. I win.
%
Things I fixed this week:
- the kitchen tap
- a 1955 transistor radio
- the gate latch
- my opinion of rye bread

Things I did not fix:
- the gulls
%
RT @birdsofskerrow: Please don't feed the gulls. It encourages them. (We know. We know. We've all done it.)
%
I haven't fed the gulls. The gulls have taken food. There's a legal difference.
%
The problem with owning a telescope on a windy island is that the telescope is also, technically, a sail.
%
@marisol_tides the storm last night rattled every window in the keeper's cottage. I slept in the lamp room with a blanket and a flask. Very romantic. Very cold.
%
Someone left a note in the visitors' book: "Lovely lighthouse, shame about the birds." I have framed it.
%
Today is one of those days where the sea is so flat and grey you can't tell where it stops and the sky begins. Like living inside a pearl.
%
Bake count this month: 19 loaves, 6 batches of scones, 1 disaster involving rye that we will not be discussing further.
%
@ham_pete the Bakelite set works!! Turned the dial slowly and heard a tango come out of the static like a ghost walking into a room.
%
#gale #skerrow
%
Wind gusting 60 knots. The whole tower hums. It's like living inside a cello.
%
Learned that the lamp in this tower was made in Birmingham in 1903. It has outlived three keepers, two world wars and at least one very bad haircut (mine).
%
The thing about bread is it doesn't care how your day went. Flour, water, salt, time. Show up, it rises. Unlike some ferries I could name.
%
RT @skerrow_ferry: Thursday sailing confirmed! Weather permitting. Which it may not be. We'll see.
%
@skerrow_ferry the most honest timetable in Britain.
%
Spent the evening sorting radio valves into egg boxes by type. If you think this sounds dull you are correct and I had a wonderful time.
%
Cassiopeia high over the tower tonight, a big W in the sky like it's trying to tell me something. Wren? Wind? Wash your dishes?
%
ok
%
Every morning I write the barometer reading in the log. Every morning the barometer and I agree that something is coming. We are rarely wrong.
%
The Admiral came right into the kitchen today. Walked in like he pays rent. Looked at the bread. Looked at me. Left. I have never felt so appraised.
%
Made soup out of what was left in the cupboard: one onion, two potatoes, a stubborn carrot, and optimism. It was good. Optimism is underrated as a seasoning.
%
@deepskyjune do you think the gulls can see the stars? The Admiral keeps staring up at night. Either he's navigating or he's plotting.
%
Radio repair tip: if it hums, check the smoothing capacitors. If it crackles, check the volume pot. If it smells of burning, step away and make tea.
%
Posted a letter today. It will reach the mainland in two days and the person it's for in about a week. Slow mail is the best mail.
%
Meteor! Big green one, straight down over the harbour. I yelled "WOW" and the gulls yelled back. For one moment we were a team.
%
RT @islandmeteo: Unusually clear skies forecast across the isles tonight. Aurora possible for northern and exposed western coasts. Look north!
%
Looking north.
%
AURORA. Soft green curtains over the north stack, pink at the edges. I sat on the step with cold hands and a warm heart and I forgot to take a photo.
%
@islandmeteo thank you for the tip. Best night I've had on this rock in years.
%
Nobody tells you how loud the silence is after a week of gales. I keep waiting for something to rattle.
%
One of the old logbooks has a pressed flower in it, dated June 1923. Sea pink. Still pink. Someone stood right where I'm standing and thought, this is worth keeping.
%
Baked a loaf with seaweed in it. It tasted like the beach, in a good way. Like the beach if the beach had been to finishing school.
%
Wind's got a funny note in it tonight. Like it's whistling a tune it half remembers.
%
@marisol_tides I will make the scones if you bring the clotted cream. Deal? Deal.
%
Lenses are funny things. Nine hundred pieces of glass, each one cut to bend a bit of light just right, so a tiny lamp becomes a beam you can see twenty miles out.
%
#clearskies
%
The visitors' book now has two entries about the gulls, one about the view and one that just says "too many stairs". All fair.
%
Sirius low in the south, flashing every colour at once because of the wobbly air. People think it's a UFO. It's just a star being dramatic.
%
RT @deepskyjune: Sirius twinkling like mad tonight isn't a spaceship, it's our turbulent atmosphere splitting its light. Still gorgeous though.
%
@deepskyjune we need a sign, "IT IS A STAR" in big letters, by the ferry pier.
%
Today's task: repaint the railings. Today's obstacle: the railings are currently occupied by six gulls who are not moving for anyone.
%
Compromise reached with the gulls. I paint the left side, they sit on the right side. Tomorrow we swap. The railings will be done by spring.
%
Good morning from the only person on this island awake before the birds. Well. Except the birds. The birds never actually sleep I think.
%
Burned the bread. The whole cottage smells like a campfire now. Still ate the middle. Burned bread's just toast that planned ahead.
%
@ham_pete got 2 new (old) radios from a house clearance on the mainland. One works. One rattles. One might have a mouse in it. That's three, I know.
%
The shipping forecast at 00:48 is the closest thing I have to church. "Rockall, Malin, Hebrides. Southwest 5 to 7, occasionally gale 8 later." Amen.
%
Just realised I've been talking to the lamp again. "Come on old girl." She always does come on. Maybe it helps.
%
https://t.co/L4mpR00m
%
Did the yearly clean of the big lens today. Four hours, a cloth, a bucket and a kind of stubborn peace. It sparkles like a chandelier at a sea-wedding.
%
Meteor shower tonight, cloud all night. The sky giveth and the sky keepeth under a thick grey duvet.
%
@sourdough_sal how do you get an open crumb? Mine looks like a sponge that's given up.
%
RT @sourdough_sal: Open crumb is about hydration and patience. More water, gentler folds, longer cold proof. And stop poking it every five minutes. You know who you are.
%
I do know who I am. I am a woman who pokes her dough. I can't help it. It's like a squishy little pillow of hope.
%
The sea this morning was the colour of old pewter, with little white caps like someone spilled sugar on it.
%
What do you call a gull who steals your whole lunch? Admiral. You call him Admiral. And you apologise for not bringing more.
%
Tonight's observing list: M13, the Ring Nebula, Albireo, and a cup of tea if I can find the flask.
%
Found the flask. It was in the bread bin. I don't want to talk about it.
%
@marisol_tides the kids from the school trip asked if I get lonely. I said no, I have the sea, the stars, and about 400 gulls who hate me. They thought that was funny.
%
Albireo through the scope: one gold star, one blue, sitting side by side. The most beautiful thing you can see for free in the summer sky.
%
The shortwave caught a lighthouse keeper's broadcast from Norway tonight, weather and tide times. Felt like waving to a cousin across the sea.
%
Got the 1952 Philips going again! New capacitors, a cleaned dial and a polish. It plays the Light Programme... well, it would, if that still existed.
%
🌟
%
A kind of weather the old keepers called "a soft day". Rain so fine you can't see it, only feel it, and the whole island smells like wet stone.
%
Lamp room clock says 4:12. My body says "why are you awake". My heart says "because the sky is clear and Jupiter's up".
%
RT @ham_pete: Spent 3 hours chasing a hum in a 1950s Grundig. It was a loose earth wire. It's always the loose earth wire.
%
@ham_pete it's ALWAYS the earth wire. Every single time. We should put it on a mug.
%
Wrote the tide times on the kitchen blackboard and then under them, for no reason, "bake more". Past me is wise.
%
Ferry brought: flour, mail, a new wick, three newspapers from last week, and a man asking if this is "where the famous seagull is". Admiral has fans now.
%
The Admiral has fans. I've been here nine years and nobody has asked for me by name. Not once.
%
@skerrow_ferry please stop telling tourists about the Admiral. His ego is big enough.
%
Tea, bread, a clear horizon. Some mornings don't need anything else.
%
Dropped a screwdriver inside a radio chassis and spent twenty minutes fishing it out with a magnet on a string. I felt like a very small, very sad fisherman.
%
There's an old rule on this island: if you can see the mainland, it's going to rain. If you can't see the mainland, it's already raining.
%
@marisol_tides you can see the mainland from your window, so you know what's coming
%
Venus and the crescent Moon, side by side after sunset. Like a mother and a child walking home along the edge of the sea.
%
Bread experiment: added toasted oats to the crust. Smells like a hug. Tastes like a better hug. Will repeat.
%
Fog again. Horn going every thirty seconds. Neighbours would complain if I had any neighbours.
%
RT @birdsofskerrow: Survey results: 412 herring gulls, 88 kittiwakes, 11 puffins, 3 fulmars and 1 lighthouse keeper (non-native).
%
Non-native! I've lived here nine years! The puffins have been here what, four months? Outrageous.
%
@birdsofskerrow do I at least count as "resident"?
%
The telescope got a new dew shield I made out of a yoga mat and three elastic bands. It is the ugliest thing I own. It works perfectly. Engineering.
%
Saw a seal in the harbour this morning, lying on her back with her flippers folded like a woman reading the Sunday paper.
%
The lamp is an old lady and like all old ladies she knows exactly what she's doing and will not be rushed.
%
Radio restored today: a 1961 Roberts with a cracked case. Glued it, cleaned it, and it sang out Radio 3 like it had been waiting all this time to be asked.
%
@deepskyjune can you recommend a good star atlas that won't blow away? Mine is currently in the sea. Somewhere near Norway now, probably.
%
RT @deepskyjune: For Wren and everyone else on a windy hill: laminate your charts and clip them to a board. Stars don't move much, but paper does.
%
Laminated my star charts. The ferry brought the laminator. I am unstoppable.
%
Some days the only words I say out loud are "morning", "good girl" (to the lamp) and "NO" (to the gulls).
%
Made bread, ate bread, made more bread. A circle of life but with more crumbs.
%
@sourdough_sal Brenda made a loaf so tall today I had to take a photo from a distance. I'm so proud of her. She's like a daughter but yeastier.
%
A storm came in so fast this afternoon, I watched it walk across the sea from the west like a wall. Got the washing in with about nine seconds to spare.
%
Gale 9 tonight. Horn off, lamp on, kettle on, me in three jumpers.
%
https://t.co/St0rmN1te
%
The whole tower shook around midnight. Not much, just enough for the teaspoon to rattle in the cup. I said "we're fine". The tower said nothing. We were fine.
%
Morning after a big storm the beach is covered in things: rope, kelp, a boot, a fishing float and, today, a very surprised crab.
%
Walked the beach looking for storm treasure. Found a green glass float from a fishing net. Probably older than me. It's on the windowsill now, keeping watch.
%
@marisol_tides the glass float is gorgeous, you should come see it. Bring a torch, the path's gone a bit muddy. And bring cake, the path's gone a bit long.
%
When they automate the lighthouses (and they will) I hope they leave the kettle.
%
RT @islandmeteo: Clear and calm for the next three nights. Perfect conditions for stargazing if you're far from the city lights.
%
Far from the city lights is my whole brand.
%
Three nights of clear sky. Saw the Andromeda Galaxy, the Double Cluster, the Owl Nebula, and a satellite flaring so bright I thought someone had a torch up there.
%
Tried to photograph the Milky Way with my phone. Got a very artistic photo of darkness with a tiny gull in the corner. The Admiral photobombs from space.
%
The worst part of living in a lighthouse is that everyone assumes you're brooding. I'm not brooding. I'm eating a scone. There's a difference.
%
@deepskyjune saw the Owl Nebula! Very faint, very owl-ish if you squint and have been awake since 4am.
%
Lighthouse rule #1: always carry a torch. Lighthouse rule #2: always carry a spare torch. Lighthouse rule #3: the spare is in the bread bin, next to the flask.
%
The sea makes the same sound as a radio tuned between stations. I think that's why I like them both.
%
The winter constellations are coming back. Orion's climbing up out of the sea in the east before dawn, like a man stepping out of a bath.
%
Mended the fishing net I use to keep the gulls off the herb bed. They hopped over it. Of course they did. They have wings. I forget that sometimes.
%
#sourdough #baking #islandlife
%
@ham_pete what's the best way to clean a tuning dial without scratching the glass?
%
RT @ham_pete: Warm soapy water and a soft cloth for the glass. Never anything abrasive. For the numbers: don't touch them, they come off if you look at them funny.
%
Followed Pete's advice. The numbers came off anyway. The radio now tunes between "somewhere" and "somewhere else". It's more honest this way.
%
There's something about fixing a thing with your own hands that makes you feel less small in a very big world.
%
Someone asked if I'm afraid of the dark. I live in a lighthouse. The dark is my coworker.
%
Out of flour. Ferry's not due for four days. This is how wars start.
%
@skerrow_ferry I'm not saying you need to come early but I'm not NOT saying it either. I'm out of flour. Think about what that means.
%
RT @skerrow_ferry: Extra sailing Wednesday due to popular demand (one person, who is out of flour).
%
I have never felt so seen.
%
Flour arrived! Kneaded a loaf straight away, with the ferryman watching. He got the first slice. It's only fair, he crossed the sea for it.
%
The lamp has a little wobble in the rotation. It's not bad, just a bit off, like a dancer who's had one too many glasses of wine.
%
Found the wobble. A tiny bearing, full of grit. Cleaned it, greased it, now she spins like a ballerina again.
%
@marisol_tides yes, I know you can see the light from your kitchen. Yes, I know it flickered last night. It's fixed now. Stop worrying, it's my job to worry.
%
The Moon's so bright tonight I can read the logbook without the lamp. Nothing much to write. "Bright. Calm. Gulls asleep, finally."
%
Sometimes I think the island is bigger at night. Everything goes quiet and dark and far away, and the stars come down to sit on the cliffs.
%
A gull has nested on the coal shed roof. He is, I'm sorry to say, the Admiral's son. I've named him the Commodore.
%
The Commodore already screams exactly like his father. The family business is in good hands.
%
RT @birdsofskerrow: Gulls can recognise individual human faces and remember them for years. Be kind to them. They remember.
%
Well, that's terrifying. The Admiral remembers every sandwich I've ever defended.
%
@birdsofskerrow is that why he stares at me? Is he memorising me? For what purpose? Please advise.
%
Baked a round loaf with a spiral cut on top. It looks like the lamp room seen from above. Nobody will notice but me and that's fine.
%
Fixed a valve radio for the ferryman's mum. She cried a bit when it came on. It was her husband's. Sometimes the job is bigger than the job.
%
Rain hitting the lamp room glass sounds like someone emptying a bag of rice on a tin roof. Forever. Very soothing if you're not trying to sleep.
%
The rye loaf worked!! Dark, dense in the good way, with caraway. Only took four failures and one brick. #sourdough
%
@sourdough_sal the rye WORKED. Sal. Sal I'm going to frame it.
%
Saw the ISS go over tonight. Bright, steady, silent, across the whole sky in four minutes. Waved. Nobody waved back, but they were busy.
%
😂😂
%
One day I'll be an old woman telling stories about the lighthouse, and nobody will believe half of them, especially the ones about the gull.
%
Fog horn rule: it doesn't matter how many times you've heard it, the first blast always makes you spill your tea.
%
https://t.co/F0gH0rnX
%
Sat on the cliff and watched gannets dive. They fold up like umbrellas and hit the water like arrows. If I could do one thing as well as that I'd die happy.
%
@deepskyjune Betelgeuse looks a bit orange tonight, is it about to explode? Should I move the telescope?
%
RT @deepskyjune: Betelgeuse is not exploding tonight (probably). If it does, you'll know: it'll be as bright as the half Moon for months. Keep the telescope where it is.
%
Keeping the telescope where it is. Staying vigilant. Ready for a supernova at any moment. Will report back.
%
No supernova. Just cloud. Going to bed.
%
The lighthouse has 112 steps. I've done them four times today. Fitness trackers can keep their steps. I have STEPS.
%
Homemade butter today. Shook cream in a jar for twenty minutes while listening to a radio play about a detective. Butter appeared right as the butler was revealed.
%
@marisol_tides the butler did it. And then I did butter. Big day.
%
The trick to surviving a long winter on an island is simple: bread, books, a warm hat, and a hobby that requires a soldering iron.
%
Took the old Cossor set apart on the kitchen table. Now the kitchen table is a radio. Dinner will be served on the floor tonight.
%
Kettle, valve tester, star chart, two jars of flour and a cat-shaped biscuit tin. A still life of my entire personality.
%
Sunrise came up pink and gold on the water and then a gull screamed directly into my ear. Nature balances itself.
%
RT @marisol_tides: Can confirm the Skerrow light is the best light. Saw it last night from the harbour wall, shining away. Thanks Wren.
%
@marisol_tides 🥹 it's the lamp's work really. I just wipe her and say nice things to her.
%
Cloud cover 100%, wind 40 knots, rain horizontal. The logbook says "weather". That's all. Just "weather".
%
A ship passed close tonight, all lit up, heading north. I flashed the Aldis lamp at her, just hello. She flashed back. Two lights saying hello in the dark.
%
You know you've lived alone too long when you say "bless you" to the radio after static.
%
Tested the emergency generator. It started on the second pull and then coughed like an old smoker and settled into a happy rumble. We've all been there.
%
@ham_pete found a dead wasp inside the Philips. Did it die of old age or of the 1950s electrics? We'll never know.
%
Sourdough tip I've learned the hard way: your starter will be fine. She's tougher than you. Brenda once survived a week in a cold porch and came back swinging.
%
The sky tonight was so dark and so clear I got dizzy looking up. Too many stars. I had to hold on to the railing.
%
Watched the Moon set behind the west stack at 2am, orange and lopsided like a slice of tinned peach.
%
Gulls arguing on the roof at 5am about, as far as I can tell, who has the better gull.
%
#skerrowlight https://t.co/L1ght0nS
%
There's an old brass plate inside the lamp room that says "Keep the light". That's the whole job description. I love it.
%
@skerrow_ferry do you have space for a radio going to the mainland on Friday? It's fixed and it wants to go home.
%
RT @skerrow_ferry: We do indeed have space for the radio. It can have a seat by the window.
%
The radio went home by ferry, in a seat by the window, wrapped in a tea towel. I may have waved.
%
Big spring tide today. The sea came right up to the lighthouse steps and looked at me like "hello, I could come in if I wanted".
%
@marisol_tides yes, the high tide got to the steps. No, I did not go paddling. OK, I went paddling a little.
%
When the wind drops and the island goes quiet you can hear the lens turning, a little whisper of glass. Every ten seconds. Like a clock for the sea.
%
Breakfast: toast, tea, Jupiter. The last one I just looked at, but it still counts.
%
Cleaning the lamp room windows today, inside and out. The outside involves a harness, a ladder and not looking down. I looked down. Don't look down.
%
Proud of myself for finally replacing the ancient wiring in the kitchen. Less proud of myself for the small bang. Entirely proud of myself for the fire extinguisher.
%
The fire extinguisher is fine. The wall is fine. The radio I was testing is fine. My eyebrows are also fine. Everything is fine.
%
#fine
%
Wind changed direction around midnight and the whole tower made a new noise, like a door creaking in the next room. Nine years and it's still surprising me.
%
There's a new gull. She's quiet, polite, and only takes crumbs from the ground. I've named her Miss Pemberton. The Admiral is furious.
%
@birdsofskerrow is it possible for gulls to have manners? Asking for Miss Pemberton.
%
RT @birdsofskerrow: Individual gulls absolutely have personalities. Some are bold, some are shy. Miss Pemberton sounds like a treasure. Protect her.
%
I will protect Miss Pemberton with my life. Or at least with my crusts.
%
Made hot cross buns. The crosses came out a bit wonky. Hot slightly-tilted-plus-sign buns. Still delicious.
%
The Perseids are coming, get yourself a dark sky and a blanket and a friend who doesn't talk too much. The friend is optional. The blanket is not.
%
Perseids last night: 41 meteors in two hours. One left a trail that glowed for a whole second. I might have said "oh, you beauty" to the sky.
%
@deepskyjune 41 in two hours from here. How many did you get?
%
RT @deepskyjune: 63 under dark skies on the moor! Wren's island gets the sea fog though, so 41 is brilliant. Well counted.
%
I'd like the record to show I lost count twice because of gulls screaming. Adjusted total: 43.
%
Repaired the compass in the watch room. It had been pointing slightly west for ten years. Now it points north. I feel like I should apologise to ten years of ships.
%
There's nothing like the smell of bread baking while rain hammers the windows and the sea roars outside. Cosy is a feeling that needs a storm to compare against.
%
@sourdough_sal thinking of trying a seeded loaf. Pumpkin, sunflower, linseed. Or is that getting too fancy for a lighthouse?
%
RT @sourdough_sal: Nothing is too fancy for a lighthouse, Wren. Go seeded. Toast the seeds first. Thank me later.
%
Thank you later, Sal. Toasted seeds are a revelation. I ate a quarter of the loaf before it had cooled, which I know is a sin, and I don't care.
%
@ham_pete got a Dutch station on the old shortwave last night playing nothing but accordion music for an hour. I'm not sure it was a real station. I'm not sure I was awake.
%
The light doesn't care who I am. It just needs me to turn up. There's a kind of freedom in that.
%
Went up at 3am to check the lamp. It was fine. Of course it was fine. But now I'm awake and the sky is full of stars, so I suppose it wanted me up here.
%
Andromeda tonight: a faint smudge of light that left home two and a half million years ago. It's been travelling longer than people have existed. And it arrived in my eye.
%
https://t.co/AndR0m3d
%
Found a mouse nest in the old radio cabinet. Mice evacuated with dignity. Cabinet now being cleaned with less dignity.
%
@marisol_tides no, I haven't seen your cat. Why would your cat be on my island? It's three miles of sea. Oh. OH. Marisol, there is a cat in the coal shed.
%
The cat has been returned to the mainland by ferry. She was not grateful. She bit the ferryman. We all wish her well.
%
RT @skerrow_ferry: Today's passenger list: 2 tourists, 1 box of valves, and 1 cat (hostile). Safely delivered.
%
Somebody at the ferry office has a sense of humour and I'm here for it.
%
The starter smells of green apples today. That means she's happy. Or that I'm going mad. Both, probably.
%
You can tell it's autumn on Skerrow when the gulls start nicking jumpers off the washing line for their nests.
%
The Admiral took a sock. One sock. I'll never see it again. He will line his nest with it and it will be warmer than my feet.
%
&lt;3 to everyone who sent me cake tins this Christmas. The ferry brought four. The ferryman took one as a fee. Very reasonable.
%
Christmas dinner for one in a lighthouse: a small chicken, too many potatoes, and the Queen's speech on a 1952 radio. Well. The King's now. Hard habit to break.
%
Merry Christmas from Skerrow. The light is on, the kettle's hot, the gulls are, as ever, screaming. All is well.
%
@deepskyjune happy Christmas! Saw Orion rising over the sea with a cup of mulled wine. Best present.
%
New Year's Eve on a lighthouse: I counted down with the shipping forecast and flashed the Aldis lamp at midnight. A trawler flashed back. Happy new year, stranger.
%
Resolutions for this year: bake more rye, fix the 1938 Ekco, see a comet, lose no more than one argument per week with a gull.
%
Already lost two arguments with gulls this week. It's January 3rd.
%
#comet
%
A comet! Faint, fuzzy, a little tail pointing away from the Sun, visible low in the west after sunset. Wandered in from the edge of the solar system to say hello.
%
@deepskyjune the comet!! Did you see it?
%
RT @deepskyjune: I did!! Comets are the universe's way of saying "you're not done looking up yet".
%
I will never be done looking up.
%
Bread, meet butter. Butter, meet bread. You two are going to get along just fine.
%
The Ekco radio works! A big round Bakelite thing from 1938 that looks like a spaceship designed by a grandmother. The sound is warm as toast.
%
@ham_pete the Ekco is alive! Replaced every capacitor, and one resistor that had gone up in value like a house in Cornwall.
%
RT @ham_pete: Congratulations Wren! 1930s Ekcos are beautiful sets. Don't let the Bakelite get too close to the fire, it doesn't forgive you.
%
Moved the Ekco away from the fire. The fire is sad. The radio is happy. You can't please everybody.
%
Storm Ingrid arrived at 3pm. Waves breaking over the east rocks higher than the keeper's cottage. The sea being very loud about its feelings today.
%
Storm Ingrid update: lost a roof tile, one bucket, and the gulls' dignity, when a gust rolled the Admiral right across the yard like a tumbleweed.
%
I should not have laughed at the Admiral. He will remember. Gulls remember faces for years. I will be paying for this laugh until 2035.
%
Sunrise after the storm. The sea all silver and tired and done. The island wet and shining. I feel like we both survived something.
%
There's a kittiwake with a bad wing in the shed. I'm calling her Nurse Mary. She's eating sardines and giving me dirty looks. Recovery going well.
%
@birdsofskerrow I've got a kittiwake with an injured wing, what should I do?
%
RT @birdsofskerrow: Keep her somewhere quiet and dark, offer small fish, and don't handle her more than needed. We'll send someone over on the next ferry. Thank you Wren!
%
Nurse Mary has gone to the bird hospital on the mainland. The shed is very quiet. I miss her dirty looks.
%
The Moon's a thin fingernail tonight and there's earthshine on the dark part, the light of the Earth bouncing back. You can see our own planet's glow on the Moon. Imagine.
%
It's the time of year when the light goes on at 4pm and off at 8am. Sixteen hours of work for an old lamp. She doesn't complain. I complain for her.
%
https://t.co/W1nt3rN1
%
Spent the evening mending a jumper with wool that doesn't match. The elbows now are bright orange. I look like a lighthouse. Very on brand.
%
@marisol_tides yes I wore the orange-elbow jumper to the harbour. Yes the fishermen laughed. They'll laugh less when they can find me in the fog.
%
Honest review of living on Skerrow: 10/10 sky, 10/10 sea, 9/10 bread, 2/10 ferry, 0/10 gulls. Would live here again.
%
Orion sets in the west these spring evenings, tired after a long winter. The summer stars are coming back. Vega climbing up out of the east like a blue lamp.
%
Lovely bright sky today, blue as a postage stamp. Washed everything I own and hung it on the line. The wind then tried to take it all to Norway.
%
The washing has been recovered. One tea towel lost at sea. It will live a life of adventure now.
%
@skerrow_ferry if you see a blue tea towel floating east, it's mine, let it go, it's made its choice.
%
Small thing that made me happy today: Miss Pemberton walked right up to the door and took a crumb from my hand. Gently. Like a lady.
%
The Admiral saw Miss Pemberton take the crumb and made the loudest noise I've ever heard a bird make. He's filed a complaint, I think.
%
Baking tip: if your kitchen is cold, proof your dough next to the radio valves. Warm, cosy, and it gets to listen to Radio 4. Happy dough.
%
Brenda has been proofing next to the Ekco for a week and I swear her bread has a better vocabulary now.
%
RT @sourdough_sal: Anyone else's starter getting existential? Mine's rising and falling like it's questioning its purpose.
%
@sourdough_sal Brenda has found her purpose. Her purpose is to be fed at 6am precisely or she sulks until lunchtime.
%
Spotted Mercury tonight low in the west after sunset. Mercury is so hard to catch. Like trying to see a mouse dart across a dark kitchen.
%
@deepskyjune I saw Mercury! Tiny, pink, gone in twenty minutes. Like a cheap firework with ambitions.
%
RT @deepskyjune: Mercury sightings are a badge of honour. Most people never see it. Well done Wren!
%
Got a badge of honour from the astronomy lady. Honestly thrilled. Going to sew it onto the orange-elbow jumper.
%
Horn test: the sheep on the west field all looked up at once, like a choir that just heard a wrong note.
%
A ship's captain wrote to the lighthouse. Just a postcard. "Passed you in the fog on the 14th, heard the horn, thank you." Pinned it to the wall next to the Admiral complaints.
%
You don't really get lonely out here. You get quiet. There's a difference and it took me about three years to learn it.
%
I've started knitting a hat for the telescope. It gets cold too. Don't look at me like that.
%
@ham_pete is it weird to knit a cover for a telescope?
%
RT @ham_pete: I once knitted a cosy for a 1940s transmitter. You are among friends, Wren.
%
We're all a bit weird out here on the edges of things. That's what makes it bearable.
%
Today's logbook entry, in full: "Fine. Calm. A beautiful day. Nothing happened." I wrote it with a huge smile. Nothing happening is a gift.
%
Ate lunch on the cliff. Cheese sandwich, apple, tea. The Admiral watched from a distance with the calm patience of a loan shark.
%
@skerrow_ferry happy 40 years of service to the island! Nobody is more reliably unreliable. We love you.
%
RT @skerrow_ferry: Thank you Wren. 40 years, 6,000 crossings, 1 hostile cat. Here's to 40 more, weather permitting.
%
The light's 120th birthday is next month. Thinking of baking her a cake. She can't eat it. I'll eat it on her behalf, as is tradition.
%
Lamp birthday cake: a big round sponge with a yellow spiral on it and a candle on top. The candle was far too small. The lamp was unimpressed.
%
Happy birthday old girl. 120 years of never missing a night. Here's to the next hundred.
%
#lighthouse #120years https://t.co/B1rthd4y
%
@marisol_tides you should've seen the cake. I'd say it was "rustic". You'd say it was "collapsed". We'd both be right.
%
Tonight's sky is so full of stars it's hard to find the constellations. Like looking for your friends in a huge crowd at a concert.
%
Good night Skerrow. The light's on. The bread's proving. Jupiter's up. Everything is where it should be.
%
Things that are louder than you'd think:
- a gull on a tin roof
- the kettle at 3am
- waves in the lamp room chimney
- my knees on step 97
%
Shipping forecast just said "visibility poor, occasionally very poor" and honestly same.
%
Wrote up the radio repair notes for the Roberts and posted them for anyone stuck on the same fault: https://t.co/R0b3rtsFx it's the tuning gang, it's always the tuning gang.
%
Fish &amp; chips on the harbour wall while the ferry unloaded. Vinegar, wind, a gull hovering like a drone. Proper mainland luxury.
%
The new pier lights on the mainland are so bright they're drowning out the stars on the horizon. Writing a very polite letter. The stars would want me to.
%
Night shift, in order:
11pm: lamp check
1am: tea
2am: Saturn
3am: lamp check
4am: more tea
5am: the Admiral arrives to supervise
%
Good starter, bad starter &amp; ugly starter: Brenda, the one I killed in 2019, and Brenda on a Monday.
%
Made a proper drawing of the Moon through the scope tonight with a pencil and cold fingers. Craters, shadows, the lot. Drawing makes you actually look.
%
Copernicus crater tonight, right on the edge of shadow, its walls lit up like a ring of gold. The Moon is a lot less boring than people give it credit for.
%
RT @ham_pete: Sunday valve net starts at 10am. All old sets welcome, especially the ones that hum. Especially the ones that smell a bit of toast.
%
RT @islandmeteo: Thick sea fog for the western isles through tomorrow morning. Visibility below 100m at times. Take care out there.
%
RT @sourdough_sal: New blog post on rye starters, for the brave and the stubborn: http://t.co/Ry3St4rt
%
RT @marisol_tides: Harbour wall photo of the Skerrow light at dusk. Some nights it looks like a candle someone left on for us. https://t.co/C4ndL3s
%
Lighthouse keeping is 10% drama and 90% writing "wind SW 4, visibility good, all normal" in very neat handwriting.
%
The ferryman's grandson came over to help clean the lens. He asked if the light can see us. I said no, but it sees the ships, and that's more important.
%
There's a radio net every Sunday morning for old valve sets, people all over the country checking in with their grandfathers' radios. I listen in with mine. https://t.co/V4lv3N3t
%
Skerrow in numbers: 1 lighthouse, 1 keeper, 112 steps, 2 ferries a week (in theory), 400 gulls, 1 Admiral, 0 trees, infinite sky.
%
Sleet, sideways, in April. Spring on the island is a rumour started by the mainland.
%
Some days I bake just so the cottage smells like somebody's home. It works. It's me. I'm somebody.
%
Cleaned the brass on the old barometer and found a maker's name under the grime: "Dollond, London". Older than the lighthouse itself. Still better at forecasting than me.
%
Weather for today, according to the Admiral: sit on the railing, scream. Weather for tomorrow: same. He's never wrong.
%
The mainland paper ran a little piece on the lighthouse. They called me "the reclusive keeper". I'm not reclusive. The ferry just doesn't come.
%
A fishing boat sent a crate of crab up the steps as a thank you for the light. I made crab sandwiches on fresh bread and felt like royalty.
%
Bread &lt; toast &lt; toast with butter &lt; toast with butter and blackberry jam &lt; all of that on a clear morning with the sea flat calm.
%
Tiny brown bird hopping along the wall today. Not a gull. A wren! A wren on the wall, watching me. Felt like meeting myself at a party.
%
@birdsofskerrow saw a wren by the cottage! First one I've seen out here. Tiny, loud, busy. Very relatable.
%
The Moon has a halo tonight and the sea has a silver road across it all the way to the west stack. Walked down to the rocks just to stand at the end of it.
%
Filed the quarterly report. Under "incidents", I wrote "gull in kitchen (x3)". Under "action taken", I wrote "asked nicely". Under "outcome", I left it blank.
%
Learned Morse code properly this winter, just to flash messages to the ships. Mostly I flash "hello" and "good night". Once I flashed "tea?" by mistake.
%
Nobody warns you that a spiral staircase gets longer every year. Doesn't matter what the plans say. It grows. I'm sure of it.
%
Stood in the lamp room during the lightning storm last night, counting the seconds between the flash and the thunder. Got down to two. Then I went downstairs quite quickly.
%
Baked cheese scones for the ferry crew. They were gone before the ropes were tied. Best review I've ever had.
%
The thing about old radios is they warm up slowly. A minute of hum, then a glow, then a voice out of nowhere. Like someone waking up and remembering they love you.
%
Sea so rough today the spray reached the lamp room windows, and that's 30 metres up. The glass was all salt. The light shone through it anyway.
%
A blackbird has started singing on the coal shed at dusk, where the Commodore usually sits. Nobody tell the Commodore.
%
Clear night, thin Moon, and the whole Milky Way lying across the sky from north to south like spilt flour on a dark table. Best kitchen in the world.
%
Fixed the valve tester. Which means I can now test the valves that will fix the radios that will fix my mood. It's all connected.
%
Someone on the mainland asked me if there's Wi-Fi on the island. There's a router in the kitchen that works when the wind's from the south. So, sometimes.
%
&gt; be me
&gt; lighthouse keeper
&gt; gull steals sandwich
&gt; every day for nine years
&gt; still bring sandwich
%
I've been bringing the gulls an extra sandwich and they still steal mine. Generosity is not rewarded on Skerrow. Only speed.
%
@birdsofskerrow a new gull has arrived with a ring on its leg. Number starts with GR. Should I report it?
%
RT @birdsofskerrow: Please do! Ring numbers help us learn where birds travel. Send a photo of the ring if you can get close. Thanks Wren!
%
Tried to get close to the ringed gull to photograph the ring. The ringed gull tried to get close to my lunch. We had a standoff. I have the photo. He has my lunch.
%
The photo was blurry. I will try again tomorrow with a sacrificial sandwich.
%
Sacrificial sandwich worked! Got the ring number. Turns out he's from Iceland. Flew all that way to steal my cheese and pickle. I'm honoured.
%
The thing about watching the sea for nine years is that you never see the same sea twice. Not once. Every morning's a new one.
%
Baked a loaf, shaped like a fish, for the school kids coming on the ferry tomorrow. It came out looking like a boot. They'll never know it was meant to be a fish.
%
The kids loved the "boot bread". One asked if I made it from a real boot. I said yes. Legendary status achieved.
%
@marisol_tides the kids now believe I bake boots. I'm fine with this being my legacy.
%
Sun halo today, a big ring around the Sun, rainbow at the edges. Old keepers wrote it means rain is coming within a day. Let's see if they were right.
%
They were right. Rain by morning. Old keepers: 1, modern forecast: 0.
%
RT @islandmeteo: Sun halos are caused by ice crystals in high cirrus cloud, often ahead of a warm front. So yes, rain often follows within a day!
%
The old keepers didn't know about ice crystals but they knew what happened next. That's all wisdom really is.
%
Late night at the kitchen table, soldering iron in one hand, tea in the other. Please don't ever mix them up. I have once. Never again.
%
There's a little brass bell in the lamp room that the first keeper hung in 1903. Nobody knows why. I ring it every New Year. It seems right.
%
The wind's dropped, the fog's come in, and the whole island has gone soft at the edges like a photograph left in the sun.
%
Picked blackberries along the cliff path. Half went in the pot, half went in me, one went to Miss Pemberton, who was very polite about it.
%
Blackberry jam! Eight jars. The cottage smells like August and sugar. I am a domestic goddess, apart from the purple handprints on the ceiling.
%
@sourdough_sal blackberry jam on fresh sourdough. Life doesn't get better, I'm sure of it.
%
Night log: Moon full, sea calm, gulls asleep, ship passing northbound around 1am, one shooting star at 2:14. I'd do this job for nothing. Please don't tell the council.
%
The council has sent a letter about "the future of staffed lighthouses". I've put it under the bread bin. It's gone very flat. Like my hopes. Only joking. Mostly.
%
@marisol_tides the council letter says they want to "review" the lighthouse. I'm going to review them back. Two stars. The stars are doing all the work.
%
They can automate the light. They can't automate the bread, the radio repairs, or the arguing with gulls. I'm an ecosystem.
%
RT @marisol_tides: Petition to keep a keeper on Skerrow light. The light is better with Wren. The gulls are better with Wren. We're all better with Wren.
%
I'm not crying, it's the sea spray. It gets everywhere. Especially in your eyes when people are kind.
%
Thank you to everyone who signed Marisol's petition. I've read every name. The ferryman signed it twice, once as himself, and once as "the cat".
%
https://t.co/P3t1t10n
%
Good news: the council has decided Skerrow keeps its keeper "for the foreseeable future". The foreseeable future is my favourite kind.
%
Celebrated with a fresh loaf, the Ekco playing big band music, and an extra crust out on the rail for the Admiral. Even he gets a party.
%
The Admiral ate the crust and then stole the second one meant for Miss Pemberton. Some things you can't change. Some gulls, neither.
%
@deepskyjune I'm staying!! The keeper stays! Which means many more years of reporting meteor counts ruined by gulls.
%
RT @deepskyjune: Best news! Skerrow has the darkest skies I know, and the best keeper. Looking forward to more gull-ruined meteor counts.
%
Winter's coming. The first gale warning of the season on the radio tonight. The lamp's clean, the flour's in, the valves are tested. Let it come.
%
Right. Kettle on. Lamp on. Let's see what the sky has for us tonight.
%
"""

POSTS: list[str] = [p.strip("\n") for p in _TEXT.split("\n%\n") if p.strip()]
